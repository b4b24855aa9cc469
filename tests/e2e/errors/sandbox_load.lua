-- The sandbox has no load: a DSL file cannot load code.
-- error: 3: load
local f = load("return 1")
output("c", input("a", f32, {3}))
