-- prelude.lua: the DSL functions that are compositions of others
-- (spec/dsl.md, "Shapes").  It runs once in every DSL state, after the C
-- functions are registered and before the user's file; its argument is
-- the methods table behind x:f(...), to which it adds its functions.
--
-- Errors raised here are reported at the user's line that called in (the
-- message handler in lang/state.c skips this chunk's frames), so messages
-- name the DSL function, never this file.

local methods = ...
local error, type, tostring, ipairs = error, type, tostring, ipairs
local reshape, permute = reshape, permute

-- The rank of tensor x, or an error naming fn.
local function rank_of(fn, x)
  if type(x) ~= "userdata" then
    error(fn .. ": expected a tensor, got " .. (x == nil and "nil" or "a " .. type(x)), 0)
  end
  return x.rank
end

-- Axis `axis` of a tensor of rank r, normalized to 0..r-1.  unsqueeze
-- passes r + 1 (its axis may name the new last position).
local function norm_axis(fn, axis, r)
  if math.type(axis) ~= "integer" then
    error(fn .. ": expected an axis (an integer), got "
          .. (axis == nil and "nil" or tostring(axis)), 0)
  end
  if axis < -r or axis >= r then
    error(fn .. ": axis " .. axis .. " is out of range (" .. -r .. " to " .. r - 1 .. ")", 0)
  end
  return axis < 0 and axis + r or axis
end

-- flatten(x [, a, b]): axes a..b (default 0..-1) into one.
function flatten(x, a, b)
  local r = rank_of("flatten", x)
  if r == 0 then return reshape(x, {1}) end
  a = norm_axis("flatten", a or 0, r)
  b = norm_axis("flatten", b or -1, r)
  if a > b then
    error("flatten: the first axis (" .. a .. ") comes after the last (" .. b .. ")", 0)
  end
  local shape, s, n = x.shape, {}, 1
  for i = 0, a - 1 do s[#s + 1] = shape[i + 1] end
  for i = a, b do n = n * shape[i + 1] end
  s[#s + 1] = n
  for i = b + 1, r - 1 do s[#s + 1] = shape[i + 1] end
  return reshape(x, s)
end

-- transpose(x, a, b): swap two axes.
function transpose(x, a, b)
  local r = rank_of("transpose", x)
  a = norm_axis("transpose", a, r)
  b = norm_axis("transpose", b, r)
  local perm = {}
  for i = 0, r - 1 do perm[i + 1] = i end
  perm[a + 1], perm[b + 1] = b, a
  return permute(x, perm)
end

-- squeeze(x [, axis]): remove an axis of extent 1 (without axis, every
-- axis whose extent is the constant 1, as torch.squeeze).
function squeeze(x, axis)
  local r = rank_of("squeeze", x)
  local shape, s = x.shape, {}
  if axis == nil then
    for i = 1, r do
      if shape[i] ~= 1 then s[#s + 1] = shape[i] end
    end
    return reshape(x, s)
  end
  axis = norm_axis("squeeze", axis, r)
  if shape[axis + 1] ~= 1 then
    error("squeeze: axis " .. axis .. " has extent " .. tostring(shape[axis + 1])
          .. ", not 1", 0)
  end
  for i = 1, r do
    if i ~= axis + 1 then s[#s + 1] = shape[i] end
  end
  return reshape(x, s)
end

-- unsqueeze(x, axis): insert an axis of extent 1 before `axis` (-1 appends).
function unsqueeze(x, axis)
  local r = rank_of("unsqueeze", x)
  axis = norm_axis("unsqueeze", axis, r + 1)
  local shape, s = x.shape, {}
  for i = 0, r do
    if i == axis then s[#s + 1] = 1 end
    if i < r then s[#s + 1] = shape[i + 1] end
  end
  return reshape(x, s)
end

for _, name in ipairs { "flatten", "transpose", "squeeze", "unsqueeze" } do
  methods[name] = _ENV[name]
end
