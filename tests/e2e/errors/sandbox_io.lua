-- The sandbox has no io: a DSL file cannot touch the file system.
-- error: 3: io
local f = io.open("/etc/passwd")
output("c", input("a", f32, {3}))
