// SPDX-License-Identifier: Apache-2.0
// redis_scripts.cpp - Lua text of the Redis scripts (see redis_scripts.hpp).
//
// Lua numbers are doubles: times in milliseconds (13 digits) and counts stay
// exact below 2^53; the config loader bounds limits far below that. Numbers
// are written back with "%.0f" so Redis never stores an exponent form.
#include "state/redis_scripts.hpp"

namespace mv::state {

const std::string_view kRateScript = R"lua(
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local strict = ARGV[3] == '1'
local n = tonumber(ARGV[4])
local fields = {}
for i = 1, n do
  fields[2 * i - 1] = 's' .. ARGV[3 + 2 * i]
  fields[2 * i] = 'c' .. ARGV[3 + 2 * i]
end
local old = redis.call('HMGET', KEYS[1], unpack(fields))
local lens, starts, counts = {}, {}, {}
local allowed, exceeded, wait = 1, -1, -1
for i = 1, n do
  local len = tonumber(ARGV[3 + 2 * i])
  local limit = tonumber(ARGV[4 + 2 * i])
  local s = tonumber(old[2 * i - 1]) or 0
  local c = tonumber(old[2 * i]) or 0
  if c <= 0 or now >= s + len then s = now; c = 0 end
  lens[i], starts[i], counts[i] = len, s, c
  if not (c <= limit and cost <= limit - c) then
    allowed = 0
    local w = s + len - now
    if w > wait then wait, exceeded = w, i - 1 end
  end
end
if allowed == 1 then wait = 0 end
if allowed == 1 or strict then
  for i = 1, n do counts[i] = counts[i] + cost end
end
local out = {allowed, exceeded, wait}
local expires, any, args = now, false, {}
for i = 1, n do
  out[#out + 1] = counts[i]
  if counts[i] > 0 then any = true end
  if starts[i] + lens[i] > expires then expires = starts[i] + lens[i] end
  args[#args + 1] = 's' .. ARGV[3 + 2 * i]
  args[#args + 1] = string.format('%.0f', starts[i])
  args[#args + 1] = 'c' .. ARGV[3 + 2 * i]
  args[#args + 1] = string.format('%.0f', counts[i])
end
redis.call('DEL', KEYS[1])
if any then
  redis.call('HSET', KEYS[1], unpack(args))
  redis.call('PEXPIRE', KEYS[1], math.max(1, expires - now))
end
return out
)lua";

const std::string_view kGreylistScript = R"lua(
local now = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local life = tonumber(ARGV[4])
local after = tonumber(ARGV[5])
local function put(key, expires, ...)
  redis.call('HSET', key, 'e', string.format('%.0f', expires), ...)
  redis.call('PEXPIRE', key, math.max(1, expires - now))
end
local passes = 0
if after > 0 then
  local c = redis.call('HMGET', KEYS[2], 'n', 'e')
  local e = tonumber(c[2]) or 0
  if now < e then passes = tonumber(c[1]) or 0 end
  if passes >= after then
    put(KEYS[2], now + life, 'n', string.format('%.0f', passes))
    return {2, 0}
  end
end
local t = redis.call('HMGET', KEYS[1], 'f', 'p', 'e')
local first = tonumber(t[1])
if first ~= nil and now >= (tonumber(t[3]) or 0) then first = nil end
if first ~= nil and t[2] == '1' then
  put(KEYS[1], now + life, 'f', string.format('%.0f', first), 'p', '1')
  return {1, 0}
end
if first == nil then
  put(KEYS[1], now + expiry, 'f', string.format('%.0f', now), 'p', '0')
  return {0, delay}
end
if now < first + delay then return {0, first + delay - now} end
put(KEYS[1], now + life, 'f', string.format('%.0f', first), 'p', '1')
if after > 0 then put(KEYS[2], now + life, 'n', string.format('%.0f', passes + 1)) end
return {1, 0}
)lua";

}  // namespace mv::state
