-- Random realistic searches: mostly common words, some rare ones, sometimes filters.
dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
local sorts = {"relevance", "relevance", "relevance", "price", "-price", "rating", "newest"}
function search_query()
  local r = math.random()
  local q
  if r < 0.6 then q = pick(data.common_words)
  elseif r < 0.8 then q = pick(data.common_words) .. " " .. pick(data.common_words)
  elseif r < 0.95 then q = pick(data.rare_words)
  else q = "" end
  local qs = "q=" .. urlencode(q) .. "&sort=" .. pick(sorts)
  if math.random() < 0.3 then qs = qs .. "&category=" .. pick(data.categories) end
  if math.random() < 0.2 then qs = qs .. "&max_price=" .. (math.random(5, 200) * 1000) end
  if math.random() < 0.1 then qs = qs .. "&min_rating=450" end
  if math.random() < 0.1 then qs = qs .. "&available=true" end
  return qs
end
request = function() return wrk.format("GET", "/api/v1/projects?" .. search_query()) end
