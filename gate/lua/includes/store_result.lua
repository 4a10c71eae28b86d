-- Stores the issuer's outcome of one request in a results hash, idempotently: an older or
-- repeated answer changes nothing, and a shopper's coupon (and its code) is never
-- replaced by the outcome of a later try. Needs result_header. The caller refreshes the
-- hash's expiry (once per call, however many it stored).
-- Returns 1 stored, 0 duplicate or older than what is stored.
local function storeResult(resultsKey, userId, ticket, outcome, resultJson)
  local ticketNumber = tonumber(ticket)
  local stored = redis.call('HGET', resultsKey, userId)
  local count, storedTicket, storedStatus = 0, -1, ''
  if stored then count, storedTicket, storedStatus = resultHeader(stored) end
  if storedTicket >= ticketNumber then return 0 end
  if outcome == 'ISSUED' then count = count + 1 end
  if not (storedStatus == 'ISSUED' and outcome ~= 'ISSUED') then
    redis.call('HSET', resultsKey, userId,
      '{"issuedCount":' .. count .. ',' .. string.sub(resultJson, 2))
  elseif outcome ~= 'ISSUED' then
    -- keep the coupon, but remember this ticket was answered (duplicates stay no-ops)
    redis.call('HSET', resultsKey, userId,
      (string.gsub(stored, '^({"issuedCount":%d+,"ticket":)%d+', '%1' .. ticket, 1)))
  end
  return 1
end
