--[[
  purge: deletes one event's data (DELETE /internal/v1/events/...) and leaves a
  tombstone, so shoppers still polling learn EVENT_CLOSED (EVENT_DELETED) instead of
  NOT_IN_QUEUE. UNLINK frees big queues in the background. Idempotent.

  KEYS[1] queue      deleted
  KEYS[2] seq        deleted
  KEYS[3] inflight   deleted
  KEYS[4] deadlines  deleted
  KEYS[5] results    deleted
  KEYS[6] stats      deleted
  KEYS[7] limiter    deleted
  KEYS[8] retry      deleted
  KEYS[9] tombstone  STRING set to the uid, for the retention

  ARGV[1] uid of the deleted event ('*' when unknown: closes any event with this id)
  ARGV[2] retentionSeconds: how long the tombstone stays

  Returns the number of data keys that existed.
]]
local removed = redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
  KEYS[7], KEYS[8])
redis.call('SET', KEYS[9], ARGV[1], 'EX', tonumber(ARGV[2]))
return removed
