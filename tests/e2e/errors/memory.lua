-- The Lua state's memory is bounded: an error, not an exhausted machine,
-- reported at the line whose allocation went over the limit.
-- error: 4: memory
local s = string.rep("x", 1 << 29)   -- 512 MiB, over the 256 MiB default
output("y", input("x", f32, {3}))
