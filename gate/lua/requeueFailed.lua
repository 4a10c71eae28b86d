--[[
  requeueFailed: the issue requests of these admitted shoppers could not be sent to Kafka;
  they go back to the queue at their original tickets, ahead of everyone who came later.
  A shopper is moved only while still in flight with that ticket (a result may have
  arrived meanwhile, if the send failed after the broker took it).

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline
  KEYS[4] stats      HASH counters

  ARGV    userId1, ticket1, userId2, ticket2, ...

  Returns the number of shoppers put back.
]]
local count = 0
for i = 1, #ARGV, 2 do
  local userId, ticket = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[2], userId) == ticket then
    redis.call('HDEL', KEYS[2], userId)
    redis.call('ZREM', KEYS[3], userId)
    redis.call('ZADD', KEYS[1], ticket, userId)
    count = count + 1
  end
end
if count > 0 then redis.call('HINCRBY', KEYS[4], 'requeuedFailed', count) end
return count
