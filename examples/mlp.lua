-- mlp.lua: one MLP layer, gelu(linear(x, w, b)), for a batch of B rows.
--
-- The file has no kernel() call, so its one kernel is named after the file:
-- `tensorc build examples/mlp.lua -o DIR` writes DIR/mlp.c and DIR/mlp.h
-- with the functions mlp_create(&ctx, w, b), mlp_run(ctx, B, x, y),
-- mlp_destroy(ctx) and the generic mlp_info/mlp_create_v/mlp_run_v/
-- mlp_shape.  examples/embed.c is a C program that uses them.
--
-- w is [out, in] = [256, 128] as in torch.nn.functional.linear; weights are
-- handed over once, when the context is created, and may be repacked then.
--
--   tensorc run examples/mlp.lua --dim B=64 --check --bench 100
--
-- e2e: B=0,1,7,17,33,100
-- demo: B=64
local B = dim("B")
local x = input("x", f32, {B, 128})
local w = weight("w", f32, {256, 128})
local b = weight("b", f32, {256})
output("y", gelu(linear(x, w, b)))
