--[[
  requeueStale: admitted shoppers whose processing deadline passed without a result (a
  gate died between admission and send, a message was lost or is late, the issuer or
  the results consumer is down) join the retry set at their original ticket. They stay
  in flight: their request may have reached the issuer and be decided in their favour,
  so they read PROCESSING (never SOLD_OUT) and keep their unit of stock until a result
  arrives. admit.lua sends them again, first, with the same ticket, hence the same
  requestId, which the issuer deduplicates: nobody is lost, nobody is issued twice.

  KEYS[1] inflight   HASH userId -> ticket
  KEYS[2] deadlines  ZSET userId -> deadline (ms, Redis time)
  KEYS[3] stats      HASH counters
  KEYS[4] retry      ZSET userId -> ticket, in flight and due to be sent again

  ARGV[1] limit      most shoppers moved by one call

  Returns {count, retrying, userId1, userId2, ...}: the shoppers moved now, and the size
  of the retry set after this call (the dispatcher sends it even when the event takes
  nobody new).
]]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {0, 0}
for _, userId in ipairs(due) do
  local ticket = redis.call('HGET', KEYS[1], userId)
  if ticket then
    redis.call('ZADD', KEYS[4], ticket, userId)
    out[#out + 1] = userId
  end
  redis.call('ZREM', KEYS[2], userId)
end
out[1] = #out - 2
if out[1] > 0 then redis.call('HINCRBY', KEYS[3], 'requeuedTimeout', out[1]) end
out[2] = redis.call('ZCARD', KEYS[4])
return out
