--[[
  requeueFailed: Kafka did not acknowledge the issue requests of these admitted shoppers.
  That does not prove the requests were not stored (a timeout, a broker that failed after
  writing them), so the shoppers stay in flight (PROCESSING, never SOLD_OUT, their unit
  of stock held) and join the retry set at their original tickets; admit.lua sends them
  again, first, with the same requestId. A shopper is moved only while still in flight
  with that ticket (a result may have arrived meanwhile).

  KEYS[1] inflight   HASH userId -> ticket
  KEYS[2] deadlines  ZSET userId -> deadline
  KEYS[3] stats      HASH counters
  KEYS[4] retry      ZSET userId -> ticket, in flight and due to be sent again

  ARGV    userId1, ticket1, userId2, ticket2, ...

  Returns the number of shoppers put in the retry set.
]]
local count = 0
for i = 1, #ARGV, 2 do
  local userId, ticket = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[1], userId) == ticket then
    redis.call('ZREM', KEYS[2], userId)
    redis.call('ZADD', KEYS[4], ticket, userId)
    count = count + 1
  end
end
if count > 0 then redis.call('HINCRBY', KEYS[3], 'requeuedFailed', count) end
return count
