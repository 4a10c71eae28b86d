-- Sold out is derived, never a flag: every coupon of the current stock is confirmed issued,
-- or the issuer announced sold out against a stock at least this large. Raising the stock
-- therefore reopens the sale without anyone clearing anything.
-- Returns soldOut (boolean), confirmed issued (number).
local function soldOut(statsKey, stock)
  local s = redis.call('HMGET', statsKey, 'issued', 'soldOutAtStock')
  local issued = tonumber(s[1]) or 0
  local soldOutAt = tonumber(s[2]) or -1
  return issued >= stock or soldOutAt >= stock, issued
end
