-- The Lua state's memory is bounded: an error, not an exhausted machine.
-- (spec/dsl.md wants FILE:LINE here too; the front end reports FILE: for
-- now, hence "?" below: make it 3 once the line is known.)
-- error: ?: memory
local s = string.rep("x", 1 << 29)   -- 512 MiB, over the 256 MiB default
output("y", input("x", f32, {3}))
