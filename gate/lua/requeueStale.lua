--[[
  requeueStale: admitted shoppers whose processing deadline passed without a result (a
  gate died between admission and send, a message was lost, the issuer is down) go back
  to the queue at their original ticket, so they keep their place. If their request did
  reach the issuer, the next admission sends the same requestId (same ticket), which the
  issuer deduplicates: nobody is lost, nobody is issued twice.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline (ms, Redis time)
  KEYS[4] stats      HASH counters

  ARGV[1] limit      most shoppers moved by one call

  Returns {count, userId1, userId2, ...} of the shoppers put back.
]]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {0}
for _, userId in ipairs(due) do
  local ticket = redis.call('HGET', KEYS[2], userId)
  if ticket then
    redis.call('ZADD', KEYS[1], ticket, userId)
    redis.call('HDEL', KEYS[2], userId)
    out[#out + 1] = userId
  end
  redis.call('ZREM', KEYS[3], userId)
end
out[1] = #out - 1
if out[1] > 0 then redis.call('HINCRBY', KEYS[4], 'requeuedTimeout', out[1]) end
return out
