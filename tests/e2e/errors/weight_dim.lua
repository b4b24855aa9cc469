-- A weight's shape is integers only: weights come before any dim is known.
-- error: 4: weight
local N = dim("N")
local w = weight("w", f32, {N})
output("y", w * 2)
