/**
 * Lua that reads a state string (variable `raw`) into a, b, c, blk. The encoding, shared by the group script below and
 * the single-policy scripts (lua-single.ts), so either reads the other's keys: the integers "a b c blk" separated by spaces, written with %d (exact 64-bit; tostring
 * would round past 14 digits), trailing zeros left out — so GCRA's state is one integer ("tat"), a fixed window's
 * "start count". A block that has already ended reads as 0.
 */
export const PARSE_STATE_LUA: string = `a = tonumber(raw)
  if a then b, c, blk = 0, 0, 0 else
    local x, y, z, w = string.match(raw, '^(%S+) ?(%S*) ?(%S*) ?(%S*)$')
    a, b, c, blk = tonumber(x), tonumber(y) or 0, tonumber(z) or 0, tonumber(w) or 0
    if blk <= now then blk = 0 end
  end`;

/** Lua function enc(a, b, c, blk) -> state string (see PARSE_STATE_LUA). */
export const ENCODE_STATE_LUA: string = `local function enc(a, b, c, blk)
  if blk ~= 0 then return string.format('%d %d %d %d', a, b, c, blk) end
  if c ~= 0 then return string.format('%d %d %d', a, b, c) end
  if b ~= 0 then return string.format('%d %d', a, b) end
  return string.format('%d', a)
end`;

/**
 * The Redis decision script for groups: mirrors policy.ts (normalize, tryConsume, adjust, view) so both stores give
 * identical answers. One call decides every policy of a group atomically; state is one string per policy key in the
 * encoding of PARSE_STATE_LUA (shared with the single-policy scripts of lua-single.ts, so both read each other's keys).
 * KEYS: one per policy. ARGV: op, cost, now ('' = server TIME), then per policy: algo limit windowMs burst blockMs intervalUs.
 * Reply: 4 integers per policy: allowed, remaining, resetMs, retryAfterMs.
 */
export const DECIDE_LUA: string = `${ENCODE_STATE_LUA}
local op = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
-- With a caller-supplied clock (simulations, tests) Redis expiry still runs on real time, so keys are kept 60 s longer:
-- harmless, because a state that reached its ttl is equivalent to no state.
local pad = 60000
if not now then
  pad = 0
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local floor, ceil = math.floor, math.ceil
local n = #KEYS
local out = {}
if op == 5 then
  for k = 1, n do
    local o = 3 + (k - 1) * 6
    redis.call('DEL', KEYS[k])
    local algo = tonumber(ARGV[o + 1])
    out[#out + 1] = 1
    if algo == 0 or algo == 2 then out[#out + 1] = tonumber(ARGV[o + 4]) else out[#out + 1] = tonumber(ARGV[o + 2]) end
    out[#out + 1] = 0
    out[#out + 1] = 0
  end
  return out
end
local P, S, OK, RT = {}, {}, {}, {}
local all = true
local function try(p, s)
  if s[4] > now then return false, s[4] - now end
  local algo, limit, W = p[1], p[2], p[3]
  if algo == 0 then
    local nowUs = now * 1000
    local tat = s[1] + cost * p[6]
    if tat - nowUs <= p[4] * p[6] then s[1] = tat return true, 0 end
    return false, ceil((tat - p[4] * p[6] - nowUs) / 1000)
  elseif algo == 2 then
    local need = cost * W
    if s[1] >= need then s[1] = s[1] - need return true, 0 end
    return false, ceil((need - s[1]) / limit)
  elseif algo == 3 then
    if s[2] + cost <= limit then s[2] = s[2] + cost return true, 0 end
    return false, s[1] + W - now
  else
    local el = now - s[1]
    local curr, prev = s[2], s[3]
    if prev * (W - el) + (curr + cost) * W <= limit * W then s[2] = curr + cost return true, 0 end
    if curr + cost <= limit then return false, W - floor(((limit - curr - cost) * W) / prev) - el end
    return false, W - el + W - floor(((limit - cost) * W) / curr)
  end
end
local function finish(k, p, s, allowed, retry, write)
  local algo, limit, W = p[1], p[2], p[3]
  local remaining, reset
  if algo == 0 then
    local used = s[1] - now * 1000
    remaining = floor((p[4] * p[6] - used) / p[6])
    if used > 0 then reset = ceil(used / 1000) else reset = 0 end
  elseif algo == 2 then
    remaining = floor(s[1] / W)
    local missing = p[4] * W - s[1]
    if missing > 0 then reset = ceil(missing / limit) else reset = 0 end
  elseif algo == 3 then
    remaining = limit - s[2]
    if s[2] > 0 then reset = s[1] + W - now else reset = 0 end
  else
    local el = now - s[1]
    remaining = floor((limit * W - s[3] * (W - el) - s[2] * W) / W)
    if s[2] > 0 then reset = W + W - el elseif s[3] > 0 then reset = W - el else reset = 0 end
  end
  local ttl = reset
  if s[4] > now then
    local b = s[4] - now
    remaining = 0
    if b > reset then reset = b end
    if b > ttl then ttl = b end
  end
  if remaining < 0 then remaining = 0 end
  if write then
    if ttl > 0 then
      redis.call('SET', KEYS[k], enc(s[1], s[2], s[3], s[4]), 'PX', ttl + pad)
    else
      redis.call('DEL', KEYS[k])
    end
  end
  out[#out + 1] = allowed and 1 or 0
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
for k = 1, n do
  local o = 3 + (k - 1) * 6
  local p = { tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5]), tonumber(ARGV[o + 6]) }
  local algo, limit, W = p[1], p[2], p[3]
  local raw = redis.call('GET', KEYS[k])
  local s
  if raw then
    local a, b, c, blk
    ${PARSE_STATE_LUA.replace(/\n/g, '\n  ')}
    s = { a, b, c, blk }
    if algo == 0 then
      if s[1] < now * 1000 then s[1] = now * 1000 end
    elseif algo == 2 then
      local el = now - s[2]
      if el > 0 then
        local t = s[1] + el * limit
        if t > p[4] * W then t = p[4] * W end
        s[1] = t
        s[2] = now
      end
    else
      local ws = now - (now % W)
      if s[1] ~= ws then
        if algo == 1 and s[1] == ws - W then s[3] = s[2] else s[3] = 0 end
        s[2] = 0
        s[1] = ws
      end
    end
  else
    if algo == 0 then s = { now * 1000, 0, 0, 0 }
    elseif algo == 2 then s = { p[4] * W, now, 0, 0 }
    else s = { now - (now % W), 0, 0, 0 } end
  end
  P[k] = p
  S[k] = s
  if op <= 1 then
    local c = { s[1], s[2], s[3], s[4] }
    local allowed, retry = try(p, c)
    OK[k] = allowed
    RT[k] = retry
    if not allowed then all = false end
  end
end
for k = 1, n do
  local p, s = P[k], S[k]
  if op == 1 then
    finish(k, p, s, OK[k], RT[k], false)
  elseif op == 0 then
    local retry = RT[k]
    if all then try(p, s) end
    local write = all
    if not OK[k] and p[5] > 0 and s[4] <= now then
      s[4] = now + p[5]
      if retry < p[5] then retry = p[5] end
      write = true
    end
    finish(k, p, s, OK[k], retry, write)
  else
    if op == 4 then
      if now + cost > s[4] then s[4] = now + cost end
    elseif p[1] == 0 then
      if op == 2 then
        local t = s[1] - cost * p[6]
        if t < now * 1000 then t = now * 1000 end
        s[1] = t
      else s[1] = s[1] + cost * p[6] end
    elseif p[1] == 2 then
      if op == 2 then
        local t = s[1] + cost * p[3]
        if t > p[4] * p[3] then t = p[4] * p[3] end
        s[1] = t
      else s[1] = s[1] - cost * p[3] end
    else
      if op == 2 then
        if s[2] > cost then s[2] = s[2] - cost else s[2] = 0 end
      else s[2] = s[2] + cost end
    end
    local blocked = s[4] > now
    finish(k, p, s, not blocked, blocked and (s[4] - now) or 0, true)
  end
end
return out
`;
