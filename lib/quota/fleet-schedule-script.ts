/**
 * The fleet's Pub schedule, kept in one Redis hash and changed only by this Lua script, atomically, in
 * one round trip per operation, on Redis's clock (`TIME`): no instance clock enters it.
 *
 * Why a queue of numbered tickets served at an adaptive rate (virtual scheduling, the form of GCRA that
 * hands out a time rather than yes/no), and not a token bucket or a sliding window: a caller learns at
 * once how long its slot is away, so a slot past the invocation's deadline is refused at once and the
 * refusal carries when to come back; a quiet fleet banks no burst; the state is a handful of numbers in
 * one key (a sliding window keeps one entry per call). And unlike a schedule of fixed times, a ticket's
 * time follows the rate: when a throttle cuts the rate, tickets already handed out move later too, so an
 * instance that waited long re-checks its ticket (`check`) instead of calling at the old, too fast pace.
 *
 * The rate adapts as the per-instance limiter's does, for the whole fleet: any throttle cuts it to just
 * under what one quota window gave the fleet (the successes reported in the last second, or between two
 * runs of throttles; to half when they are too few to tell), at most once per cooldown; then, while the
 * fleet uses it, it climbs back by a few percent a second, a tenth of that near the rate IoT last
 * throttled. Throttles in a row pause the schedule (the quota's window is spent), after a cut at a
 * steady pace only for what that pace says is left of the window; a lone one does not.
 * A throttle of the calls after a pause doubles the next one, but not that of a call made before it whose
 * answer came late (its ticket was due before the pause): with a slow fleet there are many.
 * A fresh schedule starts at a low rate and grows with each reported success until the first throttle
 * (slow start), so that a cold fleet never bursts into a quota others may already be using; the cut that
 * ends it also counts the successes reported just after it, whose calls came before. A schedule idle for
 * a minute is forgotten but for the rate its last cut set (from enough successes to tell), past which the
 * next slow start goes slowly, faster the further beyond it, until a throttle or PUB_QPS_LIMIT (which
 * forgets that rate): FC scales an idle fleet to zero, and each burst would otherwise overrun the quota
 * again to find it. Successes are reported within the event loop's turn they happen in (`report`, a
 * command no call waits for, or with the next `take`), or within 50 ms while an instance calls on tickets
 * taken ahead, and never when older than a second, so that the count a cut relies on is the fleet's last
 * second, not a late part of it.
 *
 * KEYS[1]: the schedule hash, which expires after the idle minute (the previous version forgets it by
 * that alone); KEYS[2]: the rate the last cut set, kept until a day after the last operation.
 * ARGV: operation (`take`, `check`, `throttle`, `report`), PUB_QPS_LIMIT, longest acceptable wait in
 * ms, successes to report, ticket (for `check`), pause after a throttle in ms, and a seventh: for
 * `throttle` the throttled call's ticket (absent when unknown), for `take` how many tickets the caller
 * would take at once (absent: one).
 * Reply: { granted 1 | 0, ticket, wait or retry-after in µs, current rate in milli-calls per second,
 * unused tickets before the operation in thousandths (negative: the backlog ahead), 1 while slow start
 * may still double the rate (below the remembered rate and PUB_QPS_LIMIT; so waits may end much sooner
 * than they say), else 0, tickets handed out }.
 */
import type { RedisScript } from '../redis/connection.js'

/** Tunables of the shared schedule, shared with its tests. */
export const FLEET_SCHEDULE = {
  /** Rate of a fresh schedule, calls per second (never above PUB_QPS_LIMIT). */
  startQps: 20,
  /** Slow start: the rate doubles this often at full use, until the first throttle or the remembered rate. */
  doublingMs: 100,
  /** Growth per second after the cooldown that follows a cut. */
  growthPerSecond: 0.05,
  /** Growth per second within 98–101% of the rate the last cut came from: a quota that holds is probed rarely. */
  nearCutGrowthPerSecond: 0.005,
  cooldownMs: 1_000,
  /**
   * Share of the fleet's successes in the last second to drop to on a throttle. Close to 1: the fleet
   * reports every success within the event loop's turn, so the count is what the quota really gave, and
   * a lone throttle at a window's edge should cost little.
   */
  backoffShare: 0.97,
  /** Successes in the last second below which the observed rate is not trusted. */
  minSample: 50,
  /** With fewer successes than that, a throttle still cuts the rate to at most this share of it. */
  mildestCut: 0.9,
  /** A throttle this soon after another one pauses the schedule. */
  streakMs: 100,
  /** Shortest pause, however soon the spent window is estimated to end. */
  minPauseMs: 20,
  /** Successes reported this soon after the cut that ends slow start count for it: their calls came before. */
  lateReportMs: 200,
  minQps: 1,
  /** A schedule untouched this long is forgotten: the next caller starts afresh, in slow start. */
  idleExpiryMs: 60_000,
  /**
   * How long the rate the last cut set, in a key of its own, outlives a forgotten schedule: a fleet
   * that scaled to zero and comes back slows its slow start there instead of overrunning the quota to
   * find it again.
   */
  quotaMemoryMs: 86_400_000,
  /**
   * Past that rate slow start grows, at full use, by this share a second at first, and by this much more
   * per share of it left behind: slowly where the quota most likely is, fast once it clearly is not.
   */
  pastMemoryGrowth: { atIt: 0.05, perShareBeyond: 0.5 },
} as const

const S = FLEET_SCHEDULE
/** Longest pause after repeated throttles: a longer one, doubled blindly, idles well past the end of the spent window. */
const MAX_PAUSE_MS = 250

const LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local op, limit, maxWait = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local successes, pause = tonumber(ARGV[4]), tonumber(ARGV[6])
local key, memoryKey = KEYS[1], KEYS[2]
local h = redis.call('HMGET', key, 'rate', 'served', 'at', 'next', 'grownAt', 'cutAt', 'slow', 'pausedUntil',
  'lastPause', 'lastThrottleAt', 'sinceThrottle', 'windowEndsAt', 'slowCutAt', 'slowCutFrom', 'pauseTicket',
  'cutFrom')
-- The rate the last cut set, what the quota last gave the fleet (0: none yet), in a key of its own: it
-- outlives the hash, which is forgotten by its expiry after the idle minute (as the previous version does).
local remembered = tonumber(redis.call('GET', memoryKey)) or 0
local cutTo = remembered
local rate = tonumber(h[1]) or math.min(limit, ${S.startQps})
local served = tonumber(h[2]) or 0
local at = tonumber(h[3]) or now
local nextTicket = tonumber(h[4]) or 0
local grownAt = tonumber(h[5]) or now
local cutAt = tonumber(h[6]) or -1e15
local slow = h[7] ~= '0'
-- Slow start past the rate the last cut set, before the schedule was forgotten ('2'): slow near that rate.
local pastMemory = h[7] == '2'
local pausedUntil = tonumber(h[8]) or 0
local lastPause = tonumber(h[9]) or 0
local lastThrottleAt = tonumber(h[10]) or -1e15
-- Successes reported since the last throttle; unknown in a hash the previous version wrote (as if countless).
local sinceThrottle = (tonumber(h[11]) or 1e15) + successes
-- When the quota's window spent at the last cut should end, estimated from the fleet's pace; 0: unknown.
local windowEndsAt = tonumber(h[12]) or 0
-- When the cut that ended slow start came, and from what rate.
local slowCutAt = tonumber(h[13]) or -1e15
local slowCutFrom = tonumber(h[14]) or 0
-- Tickets below this one were due when the last pause began: their calls were made before it.
local pauseTicket = tonumber(h[15]) or -1
-- The rate the last cut came from, which IoT throttled: near it the rate climbs slowly (0: no cut yet).
local cutFrom = tonumber(h[16]) or 0

-- Tickets served since the last operation, at the rate then in force; a quiet fleet banks none.
if now > at then served = served + (now - at) * rate / 1000 end
at = now
-- Unused tickets since the last one handed out (negative: the backlog), reported so that callers can
-- tell a fleet far under its rate from a busy one. Only handing out a ticket or a pause drops them (a
-- quiet fleet banks no burst); a report or a check leaves the count running.
local slack = served - nextTicket

-- Successes per 100 ms bucket over the last second and the bucket before it, as the fleet reported them.
local bucket = math.floor(now / 100)
if successes > 0 then
  local slot = bucket % 11
  if tonumber(redis.call('HGET', key, 'b' .. slot)) ~= bucket then
    redis.call('HSET', key, 'b' .. slot, bucket, 's' .. slot, 0)
  end
  redis.call('HINCRBY', key, 's' .. slot, successes)
end

-- The successes of exactly the last second: ten buckets, and the share of the eleventh that falls within
-- it. Without that share a throttle at a window's end, at the quota's rate, would see a tenth less than IoT gave.
local function lastSecond()
  local seen = 0
  for slot = 0, 10 do
    local b = tonumber(redis.call('HGET', key, 'b' .. slot))
    if b and b >= bucket - 10 then
      local count = tonumber(redis.call('HGET', key, 's' .. slot)) or 0
      if b == bucket - 10 then count = count * (1 - (now % 100) / 100) end
      seen = seen + count
    end
  end
  return seen
end

-- Successes reported just after the cut that ended slow start were made before it, by calls whose
-- answers were still on their way: the cut counts them too (never above the rate it cut from).
if successes > 0 and now - slowCutAt < ${S.lateReportMs} then
  local seen = lastSecond()
  local raised = math.max(rate, math.min(slowCutFrom, seen * ${S.backoffShare}))
  -- A pause under way keeps its end: at the higher rate it holds back more tickets.
  if now < pausedUntil then served = served - (pausedUntil - now) * (raised - rate) / 1000 end
  rate = raised
  if seen >= ${S.minSample} then cutTo = raised end
end

-- Growth: in slow start each reported success adds a step (doubling every ${S.doublingMs} ms at full use);
-- after a cut's cooldown, a few percent a second, but only while the fleet uses its rate (no slot left
-- unused since the last ticket): a quiet fleet learns nothing of the quota, and climbing meanwhile it would
-- meet its next burst at a rate IoT never allowed it (TCP's window grows by the same rule, RFC 7661).
-- Never above the limit.
local from = math.max(grownAt, cutAt + ${S.cooldownMs})
if pastMemory then
  local beyond = cutTo > 0 and math.max(0, rate / cutTo - 1) or 1
  rate = rate + successes * (${S.pastMemoryGrowth.atIt} + beyond * ${S.pastMemoryGrowth.perShareBeyond})
elseif slow then rate = rate + successes * ${(Math.LN2 * 1000) / S.doublingMs}
elseif now > from and slack < 1 then
  local growth = ${S.growthPerSecond}
  if rate >= cutFrom * 0.98 and rate < cutFrom * 1.01 then growth = ${S.nearCutGrowthPerSecond} end
  rate = rate * (1 + growth) ^ ((now - from) / 1000)
end
if now > from then grownAt = now end
if rate > limit then rate = limit end
-- Slow start past the remembered rate reached PUB_QPS_LIMIT with no throttle: the quota gave more than that
-- memory says, and kept, it would slow every burst after a quiet minute until some throttle.
if pastMemory and cutTo < limit and rate >= limit then cutTo = 0 end
-- Slow start slows where the last cut found the quota, before the schedule was forgotten: it overruns the
-- quota only by what its slow pace there adds while a throttle's news comes; a stale memory costs seconds.
local ceiling = limit
if cutTo > 0 and cutTo < limit then ceiling = cutTo end
if slow and not pastMemory and ceiling < limit and rate >= ceiling then rate, pastMemory = ceiling, true end

-- While slow start may still raise the rate, a wait ends no sooner than if the rate doubled every
-- ${S.doublingMs} ms from now: admission judges that soonest end, or a cold fleet refuses what it will serve.
local growing = slow and not pastMemory and rate < ceiling
local function soonest(wait)
  if not growing then return wait end
  local doubling = ${S.doublingMs} * math.log(1 + wait * ${Math.LN2} / ${S.doublingMs}) / ${Math.LN2}
  -- Growth stops at the limit: the tickets left when it is reached are served at the limit.
  local toLimit = ${S.doublingMs} * math.log(ceiling / rate) / ${Math.LN2}
  if doubling <= toLimit then return doubling end
  return toLimit + (wait * rate / 1000 - (ceiling - rate) * ${S.doublingMs / (1000 * Math.LN2)}) * 1000 / ceiling
end

local granted, ticket, waitMs, block = 1, 0, 0, 0
if op == 'throttle' then
  if served > nextTicket then served = nextTicket end
  if now - cutAt >= ${S.cooldownMs} then
    local seen = lastSecond()
    -- A throttle that starts a new run of them, within a second of the last run, ends a quota window
    -- that began after that run: the successes between the two runs are what one window gave. The last
    -- second alone may reach back into the window before (up to twice the quota).
    -- Without successes between them, two throttles belong to one spent window (a pause between them).
    if now - lastThrottleAt >= ${S.streakMs} and now - lastThrottleAt <= ${S.cooldownMs}
      and sinceThrottle >= ${S.minSample} then
      -- Never below half: the last second spans two windows at most, so one of them gave at least that.
      seen = math.max(seen / 2, math.min(seen, sinceThrottle))
    end
    -- At a steady pace the window's quota ran out seen / rate into it: what is left of it is the pause the
    -- throttles right after call for (none when the last second gave all it was sent: the window's edge).
    -- Not so while slow start grows the rate; once it reached PUB_QPS_LIMIT, the pace is as steady.
    windowEndsAt = 0
    if not growing and seen > 0 then windowEndsAt = now + 1000 * math.max(0, 1 - seen / rate) end
    local target = math.min(rate, seen * ${S.backoffShare})
    -- Too few successes say little of the quota (a quiet fleet): then the cut is to half, unless what it got
    -- is more, for a small fleet's whole share may be a few calls a second. In slow start every slot was
    -- used: the fleet's successes are what the quota gave, however few.
    if seen < ${S.minSample} and not (slow and seen > 0) then
      target = math.max(rate / 2, math.min(rate * ${S.mildestCut}, target))
    end
    if slow then slowCutAt, slowCutFrom = now, rate end
    cutFrom = rate
    rate = math.max(${S.minQps}, target)
    -- Remembered only when the successes tell the quota: a nearly idle fleet's few would start each burst
    -- for a day below a fresh schedule's rate, and slow start slowly from there.
    if seen >= ${S.minSample} then cutTo = rate end
    cutAt, grownAt, slow, pastMemory = now, now, false, false
  end
  -- Throttles in a row say the quota's window is spent: no ticket is served for a pause. A lone one (a
  -- call that slipped past a window's edge) pauses nothing. Set, not added, so that throttles arriving
  -- together make one pause; a throttle of the first calls after a pause doubles the next one.
  if now >= pausedUntil then
    local afterPause = now < pausedUntil + lastPause
    -- A throttled call made before the pause, whose answer came after it, says nothing of the calls the
    -- pause held back: only these tell whether the window is still spent. Nor does it start a pause when
    -- it comes later still: the pause answered for its window.
    local called = tonumber(ARGV[7])
    local late = called ~= nil and called < pauseTicket
    -- A window estimated to end sooner shortens the pause (the end of a window the fleet just overran); it
    -- never lengthens it, for a fleet below its rate, with others spending the quota, paced nothing.
    if afterPause then pause = math.min(${MAX_PAUSE_MS}, math.max(pause, lastPause * 2))
    -- An estimate before the last cut is an earlier cut's (the previous version cuts without one), and
    -- a cut while slow start grew the rate leaves none (0).
    elseif windowEndsAt >= cutAt and now - cutAt < ${S.streakMs} then
      pause = math.min(pause, math.max(${S.minPauseMs}, windowEndsAt - now))
    end
    if not late and (afterPause or now - lastThrottleAt < ${S.streakMs}) then
      pauseTicket = served
      served = served - pause * rate / 1000
      pausedUntil, lastPause = now + pause, pause
    end
  end
  lastThrottleAt, sinceThrottle = now, 0
elseif op == 'report' then
  -- Successes only, counted above.
elseif op == 'take' then
  if served > nextTicket then served = nextTicket end
  ticket = nextTicket
  waitMs = (ticket - served) * 1000 / rate
  if soonest(waitMs) > maxWait then granted = 0
  else
    -- Several tickets, for the caller's next calls, only out of slots the fleet left unused since the last
    -- ticket: they come due one by one at the rate, as any others.
    block = math.max(1, math.min(tonumber(ARGV[7]) or 1, math.floor(slack)))
    nextTicket = ticket + block
  end
else
  ticket = tonumber(ARGV[5])
  -- A ticket from a schedule since forgotten is due at once rather than never.
  if ticket <= nextTicket then waitMs = math.max(0, (ticket - served) * 1000 / rate) end
  if soonest(waitMs) > maxWait then granted = 0 end
end

redis.call('HSET', key, 'rate', rate, 'served', served, 'at', at, 'next', nextTicket, 'grownAt', grownAt,
  'cutAt', cutAt, 'slow', pastMemory and '2' or (slow and '1' or '0'), 'pausedUntil', pausedUntil, 'lastPause', lastPause, 'lastThrottleAt', lastThrottleAt,
  'sinceThrottle', sinceThrottle, 'windowEndsAt', windowEndsAt, 'slowCutAt', slowCutAt, 'slowCutFrom', slowCutFrom,
  'pauseTicket', pauseTicket, 'cutFrom', cutFrom)
redis.call('PEXPIRE', key, ${S.idleExpiryMs})
if cutTo > 0 then redis.call('SET', memoryKey, cutTo, 'PX', ${S.quotaMemoryMs})
elseif remembered > 0 then redis.call('DEL', memoryKey) end
return { granted, ticket, math.ceil(waitMs * 1000), math.floor(rate * 1000), math.floor(slack * 1000),
  (slow and not pastMemory and rate < ceiling) and 1 or 0, block }
`

/** The script, run by `RedisConnection.runScript` on the schedule key and the quota memory key. */
export const FLEET_SCHEDULE_SCRIPT: RedisScript = { name: 'iotPubFleetSchedule', lua: LUA, numberOfKeys: 2 }

/** The schedule's key; the braces make it a hash tag, should another key ever join it in a script. */
export const FLEET_SCHEDULE_KEY = '{iot-pub-gateway}:pub-schedule'

/** The key of the rate the last cut set, in the schedule's hash tag (one slot, as a script needs). */
export const FLEET_QUOTA_MEMORY_KEY = '{iot-pub-gateway}:pub-quota-memory'

/** One operation's answer. */
export interface ScheduleReply {
  /** False when the slot would come after the longest acceptable wait: nothing was reserved. */
  granted: boolean
  ticket: number
  /** Wait before calling, or, when refused, until the schedule could serve a new ticket. */
  waitMs: number
  /** The fleet's current rate in calls per second. */
  rate: number
  /** Tickets the schedule left unused before this operation; negative, the backlog ahead of it. */
  slack: number
  /**
   * In slow start below the remembered rate and PUB_QPS_LIMIT: the rate may double every `doublingMs`,
   * so the wait may end sooner.
   */
  growing: boolean
  /** Tickets a `take` handed out: `ticket` and the ones after it, each due 1 / rate after the one before. */
  block: number
}

/**
 * The soonest a wait could end while slow start runs: at full use the rate doubles every `doublingMs`,
 * and the tickets ahead (wait × rate) are served by the integral of that rate, T·log2(1 + wait·ln2/T),
 * until it reaches `limitQps`, which serves the rest.
 */
export function soonestEndOfWait(waitMs: number, rate: number, limitQps: number): number {
  const T = S.doublingMs
  const doubling = T * Math.log2(1 + (waitMs * Math.LN2) / T)
  const toLimit = T * Math.log2(limitQps / rate)
  if (doubling <= toLimit) return doubling
  return (
    toLimit + (((waitMs * rate) / 1_000 - ((limitQps - rate) * T) / (1_000 * Math.LN2)) * 1_000) / limitQps
  )
}

/** Reads the script's reply. */
export function readScheduleReply(reply: unknown): ScheduleReply {
  const [granted, ticket, waitUs, milliRate, milliSlack, growing, block] = reply as number[]
  return {
    granted: granted === 1,
    ticket: ticket ?? 0,
    waitMs: (waitUs ?? 0) / 1_000,
    rate: (milliRate ?? 0) / 1_000,
    slack: (milliSlack ?? 0) / 1_000,
    growing: growing === 1,
    // The previous version of the script hands out one ticket and does not say so.
    block: granted === 1 ? (block ?? 1) : 0,
  }
}
