-- Whether the event was deleted (DELETE /internal/v1/events/...): its tombstone holds the
-- uid of the deleted event, or "*" when that was not known. An event re-created under the
-- same id has a new uid, so the old tombstone does not close it.
local function tombstoned(tombstoneKey, uid)
  local value = redis.call('GET', tombstoneKey)
  if not value then return false end
  return uid == '' or value == '*' or value == uid
end
