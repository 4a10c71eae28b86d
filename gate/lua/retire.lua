--[[
  retire: one sale of an event is over for good (its CouponEvent deleted, or replaced by
  another applied under the same id): its waiting line, counters and limiter are deleted,
  while the outcomes of its shoppers move aside to `<retired>:<uid>:results` for the
  retention, so holders of its coupons keep seeing them and a new sale under the same id
  starts with nothing of the old one. A tombstone tells shoppers still polling that the
  sale was cancelled (EVENT_CLOSED / EVENT_DELETED). UNLINK frees big queues in the
  background. Idempotent; it never touches the live keys of another sale.

  KEYS[1]  queue      deleted
  KEYS[2]  seq        deleted
  KEYS[3]  inflight   deleted
  KEYS[4]  deadlines  deleted
  KEYS[5]  results    moved to <retired>:<uid>:results
  KEYS[6]  stats      deleted
  KEYS[7]  limiter    deleted
  KEYS[8]  retry      deleted
  KEYS[9]  tombstone  STRING set to the uid, for the retention
  KEYS[10] retired    ZSET uid -> retiredAt (ms): the retired sales of this event id
  KEYS[11] admittedAt deleted

  ARGV[1] uid of the retired sale ('*' when unknown: retires whatever the keys hold)
  ARGV[2] retentionSeconds: how long the tombstone and the outcomes stay

  Returns the number of data keys that existed (0 when another sale owns the live keys).
]]
-- @include "sale_owner"
-- @include "former_results"

local uid, retention = ARGV[1], tonumber(ARGV[2])
redis.call('SET', KEYS[9], uid, 'EX', retention)
if staleOwner(KEYS[6], uid) then return 0 end

local t = redis.call('TIME')
redis.call('ZADD', KEYS[10], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), uid)
redis.call('EXPIRE', KEYS[10], retention)
local moved = 0
if redis.call('EXISTS', KEYS[5]) == 1 then
  local target = retiredResults(KEYS[10], uid)
  redis.call('RENAME', KEYS[5], target)
  redis.call('EXPIRE', target, retention)
  moved = 1
end
return moved
  + redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6], KEYS[7], KEYS[8], KEYS[11])
