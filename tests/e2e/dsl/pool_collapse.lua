-- Parallel loop nests whose outermost extent is 1, so that only the
-- loops inside it have iterations to split: a batch of one at run time
-- (B = 1), and a static leading 1.  OpenMP collapses the outer loops; the
-- pool (tc_parallel_for, and tc_omp_for on the intrinsics targets) must
-- split the same iterations (emit/c.c, pool_wrap), so step 5 of run.sh
-- sees these kernels run on several threads at B = 1 on both paths.  One
-- kernel per way a nest is written: elementwise, a row nest (softmax),
-- column sums in tiles of 1024 and chunks of rows (passes/chunk.c; a
-- size of its own, for more than one of each), a scheduled nest with
-- tiles, parallel over a tile loop; and empty inner axes (H or W = 0),
-- where the collapsed loops may have iterations but the nest has nothing
-- to do.
-- e2e: B=1,2,3,1,2 H=1,3,5,0,2 W=1,7,33,5,0
-- An empty batch with huge extents inside it (B = 0 passes the element
-- count checks): the collapsed loops' counts must not overflow (UBSan).
-- san: B=0 H=9223372036854775804 W=1
-- san: B=2 H=3 W=5
-- (the column sums' partial sums would overflow: TC_EINVAL)
-- san[cols]: B=0 H=9223372036854775804 W=1 rc=-1
-- san[cols]: B=2 H=3 W=5
-- threads: B=1 H=64 W=1024
-- threads[cols]: B=1 H=512 W=2048
kernel("ew")
local B, H, W = dim("B"), dim("H"), dim("W")
local x = input("x", f32, {B, H, W})
output("y", exp(x) * 2 + x)
kernel("lead1")
local x = input("x", f32, {1, 3, 512, 1024})
output("y", tanh(x) * 0.5 + 1)
kernel("rows")
local B, H, W = dim("B"), dim("H"), dim("W")
local x = input("x", f32, {B, H, W})
output("y", softmax(x * 0.5, -1))
kernel("cols")
local B, H, W = dim("B"), dim("H"), dim("W")
local x = input("x", f32, {B, H, W})
output("s", sum(x * 0.5 + 1, 1))
kernel("tiles")
local B, H, W = dim("B"), dim("H"), dim("W")
local x = input("x", f32, {B, H, W})
local y = x * 3 - 1
schedule(y, { tile = {16, 128}, parallel = 1 })
output("y", y)
