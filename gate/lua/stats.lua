--[[
  stats: one event's live counts, for the admin API, the operator and the event page.
  Read-only.

  KEYS[1] queue      ZSET
  KEYS[2] inflight   HASH
  KEYS[3] stats      HASH counters and sale state
  KEYS[4] tombstone  STRING

  Returns {waiting, processing, tombstone or '', field1, value1, field2, value2, ...}
  (the stats hash flattened).
]]
local out = {
  redis.call('ZCARD', KEYS[1]),
  redis.call('HLEN', KEYS[2]),
  redis.call('GET', KEYS[4]) or '',
}
local fields = redis.call('HGETALL', KEYS[3])
for i = 1, #fields do out[#out + 1] = fields[i] end
return out
