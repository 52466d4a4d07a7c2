/*
 * One cycle from start to finish. The store transaction opened before the
 * sync is committed only after the directory writes all succeeded, so a
 * failure anywhere leaves the previous store state; writeback undoes its own
 * partial changes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cycle.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "model.h"
#include "programme.h"
#include "store.h"
#include "util.h"

/* Objectives written per pair, at most. */
#define OBJECTIVES_MAX 8

/* Everything one cycle holds, released in one place. */
struct cycle {
	const struct conf *cf;
	const struct progress *progress;
	struct cycle_report *rep;
	store *st;
	dir *d;
	struct roster *roster;
	struct match_pair *pairs;
	size_t n_pairs;
	struct wb_pair *wb;
	struct store_pair *prev;
	size_t n_prev;
	struct wb_set *want, *have;
	struct wb_plan *plan;
	unsigned char *kept;      /* per pair: it was in force before (see mark_kept) */
	size_t *was;              /* per pair: its index in prev, or SIZE_MAX if new */
	int same_pairs;           /* the matching's input was unchanged: the pairs are the stored ones */
	struct cycle_kept *last;  /* what the last cycle of this process left (cycle_run_kept), or NULL */
	struct store_pair *stored; /* the pairs this cycle stored (store_pairs), by mentee then mentor */
	size_t n_stored;
};

struct cycle_kept {
	struct roster *roster;
	struct store_pair *pairs;  /* the pairs in force, as store_pairs_load orders them */
	size_t n_pairs;
	char *pairs_token;         /* the store's STORE_PAIRS_TOKEN when they were kept; NULL: unknown */
};

void cycle_kept_free(struct cycle_kept *k)
{
	if (!k)
		return;
	roster_free(k->roster);
	store_pairs_free(k->pairs, k->n_pairs);
	free(k->pairs_token);
	free(k);
}

/* Note why the cycle failed (the details were logged where they happened). */
static enum cycle_result fail(struct cycle *c, enum cycle_result result, const char *why)
{
	c->rep->result = result;
	snprintf(c->rep->error, sizeof(c->rep->error), "%s", why);
	return result;
}

/* Monotonic seconds, for durations. */
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Count the pairs kept, added and ended against the pairs in force before. */
static void count_changes(struct cycle *c, size_t kept)
{
	c->rep->pairs = (long)c->n_pairs;
	c->rep->pairs_kept = (long)kept;
	c->rep->pairs_added = (long)(c->n_pairs - kept);
	c->rep->pairs_ended = (long)(c->n_prev - kept);
}

/* Flag the pairs that were in force before, and count the pairs kept, added and ended. */
static void mark_kept(struct cycle *c)
{
	struct strmap *prev = strmap_new(c->n_prev > 1024 ? c->n_prev : 1024);
	size_t kept = 0, at;
	char *key;
	for (size_t i = 0; i < c->n_prev; i++) {
		key = xasprintf("%s %s", c->prev[i].mentor_uuid, c->prev[i].mentee_uuid);
		strmap_put(prev, key, i);
		free(key);
	}
	free(c->kept);
	free(c->was);
	c->kept = xcalloc(c->n_pairs + 1, 1);
	c->was = xmalloc((c->n_pairs + 1) * sizeof(*c->was));
	for (size_t i = 0; i < c->n_pairs; i++) {
		key = xasprintf("%s %s", c->roster->people[c->pairs[i].junior].uuid,
				c->roster->people[c->pairs[i].senior].uuid);
		c->kept[i] = strmap_get(prev, key, &at) == 0;
		c->was[i] = c->kept[i] ? at : SIZE_MAX;
		kept += c->kept[i];
		free(key);
	}
	strmap_free(prev);
	count_changes(c, kept);
}

/* The stored pairs stand as they are: each one kept, pair i being stored pair i. */
static void mark_all_kept(struct cycle *c)
{
	free(c->kept);
	free(c->was);
	c->kept = xmalloc(c->n_pairs + 1);
	memset(c->kept, 1, c->n_pairs + 1);
	c->was = xmalloc((c->n_pairs + 1) * sizeof(*c->was));
	for (size_t i = 0; i < c->n_pairs; i++)
		c->was[i] = i;
	count_changes(c, c->n_pairs);
}

/* Fingerprints: a fast hash of the fields that decide a result, as hex. */
static uint64_t fp_str(uint64_t h, const char *s)
{
	return hash_str(s, h);
}

static uint64_t fp_int(uint64_t h, long long v)
{
	/* a multiply-xorshift step: as good a spread as a string hash here, eight bytes at a time */
	uint64_t z = (h ^ (uint64_t)v) * UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	return z ^ (z >> 27);
}

/* Person i's id hash from ids[], or the hash of nobody. */
static uint64_t fp_who(const struct match_input *in, const uint64_t *ids, size_t i)
{
	return i < in->n_people ? ids[i] : fp_str(0, NULL);
}

/* What the engine reads of one participant: facts, levels, current mentor, avoid list; tag: their side. */
static uint64_t fp_participant(const struct conf *cf, const struct match_input *in, const uint64_t *ids, size_t i,
			       uint64_t tag)
{
	const struct match_person *p = &in->people[i];
	uint64_t facts[] = { tag, (uint64_t)p->cohort, (uint64_t)p->seniority, (uint64_t)p->capacity,
			     (uint64_t)p->department, (uint64_t)p->tz, p->n_avoid,
			     in->current_mentor ? fp_who(in, ids, in->current_mentor[i]) : fp_str(0, NULL), 0 };
	for (size_t k = 0; k < p->n_avoid; k++)
		facts[ARRAY_LEN(facts) - 1] += fp_int(0, (long long)fp_who(in, ids, p->avoid[k]));
	return hash_bytes(p->levels, cf->n_areas * sizeof(*p->levels), hash_bytes(facts, sizeof(facts), ids[i]));
}

/*
 * Everything the engine reads, people by id, so that the same fingerprint
 * means the same input and therefore, the engine being deterministic and
 * blind to the order it is given people in, the same pairs: the rules, the
 * model, everyone's manager (the chains), both sides with what the engine
 * reads of them, the current pairs, bans and pins. Sets are summed hashes,
 * so the roster's order does not count; each id is hashed once.
 */
static void match_fingerprint(const struct conf *cf, const struct match_input *in, char out[17])
{
	const struct match_rules *r = in->rules;
	uint64_t h = 0, people = 0, sides = 0, rules_of_pairs = 0;
	uint64_t *ids = xmalloc((in->n_people + 1) * sizeof(*ids));
	uint64_t mentor = fp_str(0, "mentor"), mentee = fp_str(0, "mentee"), pin = fp_str(0, "pin");
	uint64_t current = fp_str(0, "current");
	long long rules[] = { r->seniority_gap, r->max_tz_diff, r->near_tz, r->bonus_cross_department,
			      r->bonus_same_tz, r->bonus_near_tz, r->bonus_stability, r->mentors_per_senior, cf->min_score,
			      (long long)cf->n_areas, (long long)in->n_people, (long long)in->n_juniors,
			      (long long)in->n_seniors, (long long)in->n_bans, (long long)in->n_pins,
			      (long long)in->n_current };
	for (size_t i = 0; i < ARRAY_LEN(rules); i++)
		h = fp_int(h, rules[i]);
	for (size_t a = 0; a < cf->n_areas; a++) {
		h = fp_int(h, cf->areas[a].standard);
		h = fp_int(h, cf->areas[a].weight);
		h = fp_int(h, cf->areas[a].direction);
	}
	for (size_t i = 0; i < in->n_people; i++)
		ids[i] = fp_str(0, in->people[i].id);
	for (size_t i = 0; i < in->n_people; i++)
		people += fp_int((long long)ids[i], (long long)fp_who(in, ids, in->people[i].manager));
	for (size_t i = 0; i < in->n_juniors; i++)
		sides += fp_participant(cf, in, ids, in->juniors[i], mentor);
	for (size_t i = 0; i < in->n_seniors; i++)
		sides += fp_participant(cf, in, ids, in->seniors[i], mentee);
	for (size_t i = 0; i < in->n_bans; i++)
		rules_of_pairs += fp_int(fp_int(fp_int(0, (long long)fp_who(in, ids, in->bans[i].junior)),
						(long long)fp_who(in, ids, in->bans[i].senior)), in->bans[i].kind);
	for (size_t i = 0; i < in->n_current; i++)
		rules_of_pairs += fp_int(fp_int(current, (long long)fp_who(in, ids, in->current[i].junior)),
					 (long long)fp_who(in, ids, in->current[i].senior));
	for (size_t i = 0; i < in->n_pins; i++)
		rules_of_pairs += fp_int(fp_int(pin, (long long)fp_who(in, ids, in->pins[i].junior)),
					 (long long)fp_who(in, ids, in->pins[i].senior));
	h = fp_int(fp_int(fp_int(h, (long long)people), (long long)sides), (long long)rules_of_pairs);
	free(ids);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/*
 * The stored pairs as this cycle's result, when the matching's input is the
 * one the last cycle matched (same fingerprint): the engine would give the
 * same pairs again. 0, or -1 if a stored pair names someone not here.
 */
static int reuse_pairs(struct cycle *c, const struct programme *pg)
{
	struct match_pair *pairs = xcalloc(c->n_prev + 1, sizeof(*pairs));
	for (size_t i = 0; i < c->n_prev; i++) {
		if (pg->current_at[i][0] == MATCH_NONE) {
			free(pairs);
			return -1;
		}
		pairs[i] = (struct match_pair){ pg->current_at[i][0], pg->current_at[i][1], c->prev[i].score, 0 };
	}
	c->pairs = pairs;
	c->n_pairs = c->n_prev;
	return 0;
}

/* What the store kept of the last matching, by roster index. */
struct warm_load {
	const struct roster *r;
	long long *prices;
	struct match_arc *graph;
	size_t n_graph, cap_graph;
};

static int warm_price(const char *uuid, long long price, void *arg)
{
	struct warm_load *w = arg;
	size_t i;
	if (strmap_get(w->r->by_uuid, uuid, &i) == 0)
		w->prices[i] = price;
	return 0;
}

static int warm_pair(const char *junior, const char *senior, void *arg)
{
	struct warm_load *w = arg;
	size_t j, s;
	if (strmap_get(w->r->by_uuid, junior, &j) == 0 && strmap_get(w->r->by_uuid, senior, &s) == 0) {
		w->graph = xgrow(w->graph, &w->cap_graph, w->n_graph + 1, sizeof(*w->graph));
		w->graph[w->n_graph++] = (struct match_arc){ j, s, 0 };
	}
	return 0;
}

/*
 * Keep where this matching ended (prices, tight pairs) for the next cycle,
 * in the cycle's transaction; a failure only costs the next cycle time.
 */
static void save_warm(struct cycle *c, const struct match_stats *st)
{
	const struct roster *r = c->roster;
	const char **price_uuid = xcalloc(r->n + 1, sizeof(*price_uuid));
	const char **junior = xcalloc(st->n_graph + 1, sizeof(*junior)), **senior = xcalloc(st->n_graph + 1, sizeof(*senior));
	long long *price = xcalloc(r->n + 1, sizeof(*price));
	struct store_warm w = { .big = st->big, .tie = st->tie_scale, .price_uuid = price_uuid, .price = price,
				.junior = junior, .senior = senior, .n_pairs = st->n_graph };
	for (size_t i = 0; i < r->n; i++)
		if (st->prices[i] > 0) {
			price_uuid[w.n_prices] = r->people[i].uuid;
			price[w.n_prices++] = st->prices[i];
		}
	for (size_t i = 0; i < st->n_graph; i++) {
		junior[i] = r->people[st->graph[i].junior].uuid;
		senior[i] = r->people[st->graph[i].senior].uuid;
	}
	if (store_warm_replace(c->st, &w) < 0)
		log_warn("matching: could not keep the prices for the next cycle");
	free(price_uuid);
	free(price);
	free(junior);
	free(senior);
}

/* " in N pairs", for the log line when seniors may take several mentors. */
static const char *with_pairs(size_t n, char buf[48])
{
	snprintf(buf, 48, " in %zu pairs", n);
	return buf;
}

/*
 * Match, starting from where the last matching ended (its prices and the
 * pairs at their two prices, kept in the store): the same optimum, found in
 * fewer rounds when little changed.
 */
static int run_match(struct cycle *c)
{
	struct programme pg;
	struct match_options opt = { .want_graph = MATCH_GRAPH_TIGHT, .want_prices = 1,
				     .threads = (size_t)c->cf->threads };
	struct match_stats st;
	struct warm_load w = { .r = c->roster };
	long long big = 0, tie = 0;
	char pairs_text[48];
	int rc;
	char fp[17], *last_fp = NULL;
	if (programme_build(c->cf, c->st, c->roster, c->prev, c->n_prev, c->rep->started, 1, &pg) < 0)
		return -1;
	match_fingerprint(c->cf, &pg.in, fp);
	if (c->cf->publish == CONF_PUBLISH_AUTO && store_sync_get(c->st, "match_input", &last_fp) == 0 &&
	    strcmp(last_fp, fp) == 0 && reuse_pairs(c, &pg) == 0) {
		log_info("matching: the input is the one the last cycle matched; its %zu pairs stand", c->n_pairs);
		free(last_fp);
		c->same_pairs = 1;
		mark_all_kept(c);
		programme_clear(&pg);
		return 0;
	}
	free(last_fp);
	/* only a published result may be reused: in manual mode the stored pairs are not this input's */
	if (store_sync_set(c->st, "match_input", c->cf->publish == CONF_PUBLISH_AUTO ? fp : "") < 0) {
		programme_clear(&pg);
		return -1;
	}
	w.prices = xcalloc(c->roster->n + 1, sizeof(*w.prices));
	if (store_warm_each(c->st, &big, &tie, warm_price, warm_pair, &w) == 0 && big > 0) {
		opt.prices_in = w.prices;
		opt.prices_in_big = big;
		opt.prices_in_tie = tie;
		opt.graph_in = w.graph;
		opt.n_graph_in = w.n_graph;
	}
	rc = match_solve_stats(&pg.in, &opt, &c->pairs, &c->n_pairs, &st);
	free(w.prices);
	free(w.graph);
	if (rc == 0) {
		log_info("matching: %zu matched%s, score %lld, %s, %u rounds, %zu candidate pairs, %.3f s on %zu "
			 "thread%s%s",
			  st.matched, pg.rules.mentors_per_senior > 1 ? with_pairs(st.pairs, pairs_text) : "",
			  st.total_score, st.certified ? "certified optimal" : "NOT certified",
			  st.rounds, st.candidates, st.sec_setup + st.sec_candidates + st.sec_solve + st.sec_certify,
			  st.threads, st.threads == 1 ? "" : "s", st.warm ? ", started where the last cycle ended" : "");
		if (!st.certified)
			log_warn("matching: the result could not be proven optimal");
		save_warm(c, &st);
		free(st.graph);
		free(st.prices);
		programme_report_pins(&pg, c->pairs, c->n_pairs);
		mark_kept(c);
		/* the stability bonus only weighs in the choice: the pair's score is the same every cycle */
		for (size_t i = 0; i < c->n_pairs; i++)
			if (c->kept[i])
				c->pairs[i].score -= pg.rules.bonus_stability;
	} else {
		log_err("matching: the engine refused the input");
	}
	programme_clear(&pg);
	return rc;
}

/* When pair i was first written, from the previous cycle's pairs (mark_kept); now if new. */
static long long pair_started(const struct cycle *c, size_t i)
{
	return c->was && c->was[i] != SIZE_MAX ? c->prev[c->was[i]].started : (long long)c->rep->started;
}

/* Turn the matching into writeback pairs with objectives, once. */
static void build_pairs(struct cycle *c)
{
	if (c->wb)
		return;
	c->wb = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*c->wb));
	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct roster_person *j = &c->roster->people[c->pairs[i].junior];
		const struct roster_person *s = &c->roster->people[c->pairs[i].senior];
		char **objectives = xcalloc(OBJECTIVES_MAX, sizeof(char *));
		struct wb_pair *p = &c->wb[i];
		p->mentor_uuid = j->uuid;
		p->mentor_dn = j->dn;
		p->mentor_name = j->name;
		p->mentee_uuid = s->uuid;
		p->mentee_dn = s->dn;
		p->mentee_name = s->name;
		p->score = c->pairs[i].score;
		p->n_objectives = model_objectives(c->cf, j->levels, s->levels, objectives, OBJECTIVES_MAX);
		p->objectives = objectives;
		p->started = pair_started(c, i);
	}
}

/* Order stored pairs as store_pairs_load does: by mentee, then mentor. */
static int cmp_store_pair(const void *a, const void *b)
{
	const struct store_pair *x = a, *y = b;
	int d = strcmp(x->mentee_uuid, y->mentee_uuid);
	return d ? d : strcmp(x->mentor_uuid, y->mentor_uuid);
}

/* Record the new pairs in the store (inside the cycle's transaction); keep them, ordered, in c->stored. */
static int store_pairs(struct cycle *c)
{
	struct store_pair *sp = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*sp));
	int rc;
	for (size_t i = 0; i < c->n_pairs; i++) {
		sp[i].mentor_uuid = xstrdup(c->wb[i].mentor_uuid);
		sp[i].mentee_uuid = xstrdup(c->wb[i].mentee_uuid);
		sp[i].dn = wb_pair_dn(c->cf, c->wb[i].mentor_uuid, c->wb[i].mentee_uuid);
		sp[i].score = c->wb[i].score;
		sp[i].started = c->wb[i].started;
	}
	rc = store_pairs_replace(c->st, sp, c->n_pairs, c->rep->run);
	if (rc == 0)
		rc = store_history_update(c->st, sp, c->n_pairs, (long long)c->rep->started);
	if (rc == 0)
		rc = store_proposals_replace(c->st, NULL, 0, c->rep->run);
	if (c->n_pairs)
		qsort(sp, c->n_pairs, sizeof(*sp), cmp_store_pair);
	c->stored = sp;
	c->n_stored = c->n_pairs;
	return rc;
}

/* CPU seconds (user + system) used by the process so far. */
static double cpu_seconds(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* Record the pairs as proposals for `mentorctl publish` (inside the cycle's transaction). */
static int store_proposals(struct cycle *c)
{
	struct store_proposal *sp = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*sp));
	int rc;
	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct roster_person *j = &c->roster->people[c->pairs[i].junior];
		const struct roster_person *s = &c->roster->people[c->pairs[i].senior];
		sp[i] = (struct store_proposal){ j->uuid, s->uuid, c->pairs[i].score, c->kept[i], c->pairs[i].pinned };
	}
	rc = store_proposals_replace(c->st, sp, c->n_pairs, c->rep->run);
	free(sp);
	return rc;
}

/* The directory changes for the pairs: desired state, what is there, the diff and its safety limit. */
/*
 * Everything the pair groups are made of (who, their DNs and names, score,
 * start, and the objectives, which follow from the model and the two
 * people's levels) and where they go, so that the same fingerprint means
 * the same wanted entries. Taken from the pairs and the roster, so that a
 * cycle that finds the managed OU as it left it formats no objectives.
 */
static void writeback_fingerprint(const struct cycle *c, char out[17])
{
	const struct conf *cf = c->cf;
	uint64_t h = fp_str(fp_str(0, cf->managed_ou), cf->owner);
	h = fp_int(fp_int(fp_int(h, (long long)c->n_pairs), (long long)cf->n_areas), OBJECTIVES_MAX);
	for (size_t a = 0; a < cf->n_areas; a++)
		h = fp_int(fp_int(fp_int(fp_str(h, cf->areas[a].id), cf->areas[a].standard), cf->areas[a].weight),
			   cf->areas[a].direction);
	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct roster_person *j = &c->roster->people[c->pairs[i].junior];
		const struct roster_person *s = &c->roster->people[c->pairs[i].senior];
		const char *text[] = { j->uuid, j->dn, j->name, s->uuid, s->dn, s->name };
		for (size_t k = 0; k < ARRAY_LEN(text); k++)
			h = fp_str(h, text[k]);
		h = fp_int(fp_int(h, c->pairs[i].score), pair_started(c, i));
		h = hash_bytes(j->levels, cf->n_areas * sizeof(*j->levels), h);
		h = hash_bytes(s->levels, cf->n_areas * sizeof(*s->levels), h);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/*
 * What a managed-OU sync reports: entries still there unchanged, entries
 * added or changed, and uuids reported gone (which include entries outside
 * the OU that changed: the server cannot tell whether they ever were in it).
 */
struct ou_news {
	long present, changes, gone;
	char **gone_ids;    /* up to GONE_CHECKED of them */
};

#define GONE_CHECKED 256

static int count_one(const dir_entry *e, void *arg)
{
	(void)e;
	(*(long *)arg)++;
	return 0;
}

static int count_entry(const dir_entry *e, const char *uuid, enum dir_sync_state state, void *arg)
{
	struct ou_news *n = arg;
	(void)e;
	(void)uuid;
	if (state == DIR_SYNC_PRESENT)
		n->present++;
	else
		n->changes++;
	return 0;
}

static int count_ids(char **uuids, enum dir_sync_state state, void *arg)
{
	struct ou_news *n = arg;
	if (state == DIR_SYNC_PRESENT) {
		n->present += (long)dir_values_count(uuids);
		return 0;
	}
	for (size_t i = 0; uuids[i]; i++, n->gone++)
		if (n->gone < GONE_CHECKED)
			n->gone_ids[n->gone] = xstrdup(uuids[i]);
	return 0;
}

/*
 * Whether no entry left the managed OU, when the sync named uuids as gone
 * (it names every changed entry outside the OU too). Each named entry must
 * still exist and none may be one of ours (mentoringManaged) now outside:
 * two searches by entryUUID. With many names, the OU's entries are counted
 * instead against the number it held.
 */
static int none_left(struct cycle *c, const struct ou_news *news, long held)
{
	static const char *const attrs[] = { "1.1", NULL };
	long found = 0, ours = 0;
	struct sbuf any = { NULL, 0, 0 };
	char *filter;
	int ok;
	if (news->gone > GONE_CHECKED) {
		ok = dir_search(c->d, c->cf->managed_ou, DIR_SCOPE_SUB, "(objectClass=*)", attrs, count_one, &found) == 0;
		return ok && found == held;
	}
	sbuf_add(&any, "(|");
	for (long i = 0; i < news->gone; i++) {
		char *v = dir_filter_escape(news->gone_ids[i]);
		sbuf_addf(&any, "(entryUUID=%s)", v);
		free(v);
	}
	sbuf_add(&any, ")");
	ok = dir_search(c->d, c->cf->base_dn, DIR_SCOPE_SUB, any.buf, attrs, count_one, &found) == 0 && found == news->gone;
	filter = xasprintf("(&(objectClass=mentoringManaged)%s)", any.buf);
	ok = ok && dir_search(c->d, c->cf->base_dn, DIR_SCOPE_SUB, filter, attrs, count_one, &ours) == 0 && ours == 0;
	free(filter);
	sbuf_free(&any);
	return ok;
}

/*
 * Whether the managed OU is as the last cycle left it: an RFC 4533 read of
 * it from the cookie the last cycle took (before it planned) reports no
 * change (in a present phase: every entry the OU held then, and only those,
 * reported present), and that cycle found the OU holding exactly the entries
 * of fingerprint fp. The new cookie is kept, in the cycle's transaction, for
 * the next cycle. Any doubt (no cookie, no syncprov, Active Directory) says
 * no, and the cycle plans the usual way.
 */
static int managed_as_left(struct cycle *c, const char *fp)
{
	static const struct dir_sync_ops ops = { count_entry, count_ids };
	static const char *const attrs[] = { "1.1", NULL };
	char *cookie = NULL, *last_fp = NULL, *next = NULL, *count = NULL;
	struct ou_news news = { 0, 0, 0, NULL };
	long held = -1;
	int deletes = 1, rc, same;
	if (dir_is_ad(c->d))
		return 0;
	if (store_sync_get(c->st, "managed_fp", &last_fp) != 0) {
		free(last_fp);
		last_fp = NULL;
	}
	if (store_sync_get(c->st, "managed_cookie", &cookie) != 0 || !*cookie) {
		free(cookie);
		cookie = NULL;
	}
	if (!cookie && (!last_fp || !*last_fp)) {
		free(last_fp);
		return 0; /* no cycle has found the OU as wanted yet: plan */
	}
	news.gone_ids = xcalloc(GONE_CHECKED, sizeof(char *));
	/* the cookie moves on even when the answer is no, so the next cycle asks about less */
	if (store_sync_get(c->st, "managed_count", &count) == 0 && sscanf(count, "%ld", &held) != 1)
		held = -1;
	free(count);
	rc = dir_sync(c->d, c->cf->managed_ou, "(objectClass=*)", attrs, cookie, &ops, &news, &next, &deletes);
	same = rc == 0 && cookie && news.changes == 0 && (deletes || news.present == held) && last_fp &&
	       strcmp(last_fp, fp) == 0;
	if (same && news.gone > 0)
		same = none_left(c, &news, held);
	for (long i = 0; i < news.gone && i < GONE_CHECKED; i++)
		free(news.gone_ids[i]);
	free(news.gone_ids);
	/* no new cookie when nothing changed: the old one still stands; one the server refuses is dropped */
	if (rc == DIR_SYNC_RELOAD)
		store_sync_set(c->st, "managed_cookie", "");
	if (rc != 0 || (next && store_sync_set(c->st, "managed_cookie", next) < 0))
		same = 0;
	free(cookie);
	free(last_fp);
	free(next);
	return same;
}

static enum cycle_result plan_writes(struct cycle *c, FILE *ldif)
{
	char fp[17];
	writeback_fingerprint(c, fp);
	if (managed_as_left(c, fp)) {
		/* nothing to compare: the wanted entries and the OU are both as last time */
		c->want = wb_set_new();
		c->have = wb_set_new();
		if (wb_diff(c->cf, c->want, c->have, &c->plan) < 0)
			return fail(c, CYCLE_FAILED, "empty plan refused");
		wb_plan_counts(c->plan, &c->rep->changes);
		log_info("writeback: the pair groups and the managed OU are as the last cycle left them; nothing to plan");
		return CYCLE_OK;
	}
	build_pairs(c);
	if (!(c->want = wb_desired(c->cf, c->wb, c->n_pairs)))
		return fail(c, CYCLE_FAILED, "managed OU unusable");
	if (!(c->have = wb_read(c->d, c->cf)))
		return fail(c, CYCLE_FAILED, "reading the managed OU failed; nothing changed");
	if (wb_diff(c->cf, c->want, c->have, &c->plan) < 0) {
		wb_plan_counts(c->plan, &c->rep->changes);
		if (ldif)
			wb_plan_ldif(c->plan, ldif);
		return fail(c, CYCLE_SAFETY, "delete limit hit (writeback.max_delete_percent); nothing changed");
	}
	wb_plan_counts(c->plan, &c->rep->changes);
	if (ldif)
		wb_plan_ldif(c->plan, ldif);
	/* the OU holds exactly these entries only if the plan is empty; else the next cycle checks again */
	{
		int as_wanted = c->rep->changes.adds + c->rep->changes.modifies + c->rep->changes.deletes +
					c->rep->changes.conflicts == 0;
		char held[32];
		snprintf(held, sizeof(held), "%zu", wb_set_size(c->have));
		if (store_sync_set(c->st, "managed_fp", as_wanted ? fp : "") < 0 ||
		    store_sync_set(c->st, "managed_count", held) < 0)
			return fail(c, CYCLE_FAILED, "state database unwritable");
	}
	return CYCLE_OK;
}

/* The pairs in force: those this process kept, while the store's token says they are its pairs, else the store's. */
static int load_prev(struct cycle *c)
{
	struct cycle_kept *k = c->last;
	char *token = NULL;
	int same = k && k->pairs_token && store_sync_get(c->st, STORE_PAIRS_TOKEN, &token) == 0 &&
		   strcmp(token, k->pairs_token) == 0;
	free(token);
	if (!same)
		return store_pairs_load(c->st, &c->prev, &c->n_prev);
	c->prev = k->pairs;
	c->n_prev = k->n_pairs;
	k->pairs = NULL;
	k->n_pairs = 0;
	return 0;
}

/* Read, match and plan; everything before the first write. */
static enum cycle_result plan_cycle(struct cycle *c, FILE *ldif)
{
	double t0 = now_seconds(), t1, cpu0 = 0;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu0 = cpu_seconds(&ru);
	log_set_phase("sync");
	if (dir_open(c->cf, &c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable");
	if (store_begin(c->st) < 0)
		return fail(c, CYCLE_FAILED, "state database busy or unwritable");
	switch (sync_run(c->d, c->st, c->cf, c->rep->started, c->progress, &c->roster, &c->rep->sync)) {
	case 0: break;
	case -2: return fail(c, CYCLE_STOPPED, "stopped during the directory read; nothing changed");
	default: return fail(c, CYCLE_FAILED, "directory read failed; nothing changed");
	}
	t1 = now_seconds();
	c->rep->sync_seconds = t1 - t0;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		c->rep->sync_peak_kib = ru.ru_maxrss;
		c->rep->sync_cpu_seconds = cpu_seconds(&ru) - cpu0;
	}
	log_set_phase("plan");
	if (progress_report(c->progress, CYCLE_PHASE_PLAN, 0, 0))
		return fail(c, CYCLE_STOPPED, "stopped before matching; nothing changed");
	if (load_prev(c) < 0 || run_match(c) < 0)
		return fail(c, CYCLE_FAILED, "matching failed");
	c->rep->proposed = c->cf->publish == CONF_PUBLISH_MANUAL;
	/* matching a large programme can outlast the server's idle limit */
	if (!c->rep->proposed && dir_renew_if_idle(c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable after matching; nothing changed");
	if (!c->rep->proposed && plan_writes(c, ldif) != CYCLE_OK)
		return c->rep->result;
	c->rep->plan_seconds = now_seconds() - t1;
	return CYCLE_OK;
}

/* Apply the plan and commit the store. */
static enum cycle_result commit_cycle(struct cycle *c)
{
	double t0 = now_seconds();
	log_set_phase("write");
	if (c->rep->proposed) {
		if (store_proposals(c) < 0 || store_commit(c->st) < 0)
			return fail(c, CYCLE_FAILED, "storing the proposed pairs failed; nothing changed");
		return CYCLE_OK;
	}
	/* the same pairs as stored: nothing to record */
	if (!c->same_pairs) {
		build_pairs(c);
		if (store_pairs(c) < 0)
			return fail(c, CYCLE_FAILED, "storing pairs failed; nothing changed");
	}
	if (dir_renew_if_idle(c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable for the writes; nothing changed");
	switch (wb_apply(c->d, c->plan, c->progress)) {
	case 0: break;
	case -2: return fail(c, CYCLE_STOPPED, "stopped while writing; applied changes undone");
	default: return fail(c, CYCLE_FAILED, "directory write failed; applied changes undone");
	}
	c->rep->write_seconds = now_seconds() - t0;
	if (store_commit(c->st) < 0)
		return fail(c, CYCLE_FAILED, "committing the state database failed");
	return CYCLE_OK;
}

/* The stored proposals as the cycle's pairs (people who left are skipped); -2 when none are stored. */
static int load_proposals(struct cycle *c)
{
	int rc = programme_proposals(c->st, c->roster, 1, &c->pairs, &c->n_pairs);
	if (rc != -1)
		mark_kept(c);
	return rc;
}

/* Publish the stored proposals: the write half of a cycle, on the stored roster. */
static enum cycle_result publish_cycle(struct cycle *c)
{
	double t0 = now_seconds();
	log_set_phase("plan");
	if (dir_open(c->cf, &c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable");
	if (store_begin(c->st) < 0)
		return fail(c, CYCLE_FAILED, "state database busy or unwritable");
	if (roster_load(c->st, c->cf, &c->roster) < 0 || store_pairs_load(c->st, &c->prev, &c->n_prev) < 0)
		return fail(c, CYCLE_FAILED, "reading the state database failed");
	c->rep->sync.staff = (long)c->roster->n;
	for (size_t i = 0; i < c->roster->n; i++) {
		c->rep->sync.juniors += (c->roster->people[i].roles & ROSTER_JUNIOR) != 0;
		c->rep->sync.seniors += (c->roster->people[i].roles & ROSTER_SENIOR) != 0;
	}
	switch (load_proposals(c)) {
	case 0: break;
	case -2:
		log_err("no proposed pairs to publish: a cycle with matching.publish = \"manual\" stores them");
		return fail(c, CYCLE_FAILED, "no proposed pairs to publish");
	default: return fail(c, CYCLE_FAILED, "reading the proposed pairs failed");
	}
	if (progress_report(c->progress, CYCLE_PHASE_PLAN, 0, 0))
		return fail(c, CYCLE_STOPPED, "stopped before writing; nothing changed");
	if (plan_writes(c, NULL) != CYCLE_OK)
		return c->rep->result;
	c->rep->plan_seconds = now_seconds() - t0;
	return commit_cycle(c);
}

/* Release everything the cycle held. */
static void cycle_clear(struct cycle *c)
{
	for (size_t i = 0; c->wb && i < c->n_pairs; i++) {
		for (size_t k = 0; k < c->wb[i].n_objectives; k++)
			free(c->wb[i].objectives[k]);
		free((char **)c->wb[i].objectives);
	}
	free(c->wb);
	free(c->pairs);
	free(c->kept);
	free(c->was);
	store_pairs_free(c->prev, c->n_prev);
	store_pairs_free(c->stored, c->n_stored);
	cycle_kept_free(c->last);
	wb_plan_free(c->plan);
	wb_set_free(c->want);
	wb_set_free(c->have);
	roster_free(c->roster);
	dir_close(c->d);
	if (c->st)
		store_rollback(c->st);
}

/* Record the end of a (non-dry) cycle in the store and the log. */
static void finish_run(struct cycle *c)
{
	struct cycle_report *rep = c->rep;
	struct store_run run = {
		.id = rep->run, .started = rep->started, .finished = (long long)time(NULL),
		.seconds = rep->seconds, .outcome = (char *)cycle_result_name(rep->result),
		.staff = rep->sync.staff, .juniors = rep->sync.juniors, .seniors = rep->sync.seniors,
		.skipped = rep->sync.skipped_entries + rep->sync.skipped_values, .pairs = rep->pairs,
		.adds = rep->changes.adds, .modifies = rep->changes.modifies,
		.deletes = rep->changes.deletes, .error = rep->result == CYCLE_OK ? NULL : rep->error,
		.added = rep->pairs_added, .ended = rep->pairs_ended, .kept = rep->pairs_kept,
		.proposed = rep->proposed,
	};
	long long last_ok = 0;
	long failed = 0;
	if (rep->result != CYCLE_OK)
		run.adds = run.modifies = run.deletes = run.added = run.ended = run.kept = 0;
	store_run_finish(c->st, &run);
	if (c->cf->metrics_file && store_run_totals(c->st, &last_ok, &failed) == 0)
		metrics_write(c->cf->metrics_file, rep, last_ok, failed);
}

const char *cycle_result_name(enum cycle_result result)
{
	switch (result) {
	case CYCLE_OK: return "ok";
	case CYCLE_UNREACHABLE: return "unreachable";
	case CYCLE_SAFETY: return "safety-limit";
	case CYCLE_STOPPED: return "stopped";
	case CYCLE_BUSY: return "busy";
	default: return "failed";
	}
}

char *cycle_lock_path(const struct conf *cf)
{
	return xasprintf("%s.lock", cf->state_db);
}

/* Take the cycle lock without waiting; returns its descriptor, -2 if busy, -1 on error (logged). */
static int take_lock(const struct conf *cf)
{
	char *path = cycle_lock_path(cf);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), busy;
	if (fd < 0) {
		log_err("%s: cannot open the cycle lock: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		busy = errno == EWOULDBLOCK;
		if (busy)
			log_warn("%s: another cycle is running; not starting one", path);
		else
			log_err("%s: cannot take the cycle lock: %s", path, strerror(errno));
		close(fd);
		fd = busy ? -2 : -1;
	}
	free(path);
	return fd;
}

/* What a committed cycle leaves for the next one: its roster and the pairs now in force. */
static struct cycle_kept *keep_for_next(struct cycle *c)
{
	struct cycle_kept *k = c->last ? c->last : xcalloc(1, sizeof(*k));
	c->last = NULL;
	store_pairs_free(k->pairs, k->n_pairs);
	free(k->pairs_token);
	k->pairs_token = NULL;
	k->roster = c->roster;
	c->roster = NULL;
	if (c->stored) {
		k->pairs = c->stored;
		k->n_pairs = c->n_stored;
		c->stored = NULL;
		c->n_stored = 0;
	} else {
		/* proposals only, or the same pairs: the ones in force before stay */
		k->pairs = c->prev;
		k->n_pairs = c->n_prev;
		c->prev = NULL;
		c->n_prev = 0;
	}
	if (store_sync_get(c->st, STORE_PAIRS_TOKEN, &k->pairs_token) != 0)
		k->pairs_token = NULL;
	return k;
}

/*
 * A cycle (or with publishing, a publication) under the lock, recorded
 * unless dry. kept: see cycle_run_kept (NULL when publishing).
 */
static enum cycle_result run_locked(const struct conf *cf, int dry_run, FILE *ldif, const struct progress *progress,
				    struct cycle_report *rep, int publishing, struct cycle_kept **kept)
{
	struct cycle c = {.cf = cf, .progress = progress, .rep = rep};
	double t0 = now_seconds();
	int lock;
	memset(rep, 0, sizeof(*rep));
	rep->started = time(NULL);
	if ((lock = take_lock(cf)) < 0) {
		if (lock == -2)
			fail(&c, CYCLE_BUSY, "another cycle is running");
		else
			fail(&c, CYCLE_FAILED, "cannot take the cycle lock");
		return rep->result;
	}
	if (store_open(cf->state_db, 0, &c.st) < 0) {
		close(lock);
		fail(&c, CYCLE_FAILED, "cannot open the state database");
		return rep->result;
	}
	if (!dry_run && (rep->run = store_run_begin(c.st, rep->started)) < 0) {
		store_close(c.st);
		close(lock);
		fail(&c, CYCLE_FAILED, "cannot record the cycle in the state database");
		return rep->result;
	}
	log_set_cycle(rep->run);
	/* the sync takes the kept roster over; it comes back only from a committed cycle */
	if (kept && *kept) {
		c.last = *kept;
		*kept = NULL;
		c.roster = c.last->roster;
		c.last->roster = NULL;
	}
	if (publishing)
		publish_cycle(&c);
	else if (plan_cycle(&c, dry_run ? ldif : NULL) == CYCLE_OK && !dry_run)
		commit_cycle(&c);
	rep->seconds = now_seconds() - t0;
	if (kept && !dry_run && rep->result == CYCLE_OK)
		*kept = keep_for_next(&c);
	cycle_clear(&c);
	if (!dry_run)
		finish_run(&c);
	store_close(c.st);
	close(lock);
	log_set_cycle(0);
	log_set_phase(NULL);
	return rep->result;
}

enum cycle_result cycle_run(const struct conf *cf, int dry_run, FILE *ldif,
			    const struct progress *progress, struct cycle_report *rep)
{
	return run_locked(cf, dry_run, ldif, progress, rep, 0, NULL);
}

enum cycle_result cycle_run_kept(const struct conf *cf, int dry_run, FILE *ldif, const struct progress *progress,
				 struct cycle_report *rep, struct cycle_kept **kept)
{
	return run_locked(cf, dry_run, ldif, progress, rep, 0, kept);
}

enum cycle_result cycle_publish(const struct conf *cf, const struct progress *progress, struct cycle_report *rep)
{
	return run_locked(cf, 0, NULL, progress, rep, 1, NULL);
}
