-- A waiting shopper's answer, the same from enqueue and status (script-replies.ts reads
-- both alike): {'QUEUED', rank, ticket, rate, rateAt, issued, inflight}. rank is 1-based;
-- rate and rateAt are the fleet's observed admissions/s and when measured (ms), '' when
-- never; issued counts coupons confirmed, inflight the shoppers admitted awaiting the issuer.
local function queuedReply(queueKey, inflightKey, statsKey, userId, ticket)
  local r = redis.call('HMGET', statsKey, 'rate', 'rateAt', 'issued')
  return {'QUEUED', redis.call('ZRANK', queueKey, userId) + 1, ticket, r[1] or '', r[2] or '',
    tonumber(r[3]) or 0, redis.call('HLEN', inflightKey)}
end
