dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
local sorts = {"relevance", "relevance", "price", "newest"}
request = function()
  local q = math.random() < 0.8 and pick(data.common_words) or pick(data.rare_words)
  local qs = "q=" .. urlencode(q) .. "&sort=" .. pick(sorts)
  if math.random() < 0.3 then qs = qs .. "&category=" .. pick(data.categories) end
  return wrk.format("GET", "/search/?" .. qs)
end
