/*
 * Sync of staff and participant groups. Every value read from the directory
 * is checked here, at the boundary: a bad value is skipped with one warning
 * naming the DN and the attribute; an entry without a usable id or DN is
 * skipped whole. Raw birth and hire dates are reduced to cohort and
 * seniority at once and never stored.
 *
 * The roster is kept in step with the store while the entries come: built
 * from them in a full read, updated in place when a daemon hands back the
 * roster of its last committed cycle (checked against the generation token
 * the store carries), or loaded from the store after a read of changes
 * when there is no such roster. A complete read (full, paged or Active
 * Directory) only appends to its new roster while reading; at its end the
 * roster is indexed and everyone is stored at once, in uuid order, which is
 * the order of the store's keys (bulk_write).
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "sync.h"
#include "sync_ad.h"
#include "util.h"

/* A participant group as last read: its entryCSN and its members' canonical DNs. */
struct group_state {
	char *name;            /* "juniors", "seniors" */
	char *dn;
	unsigned role;
	char *csn;             /* NULL when the server sent none: then it is read every cycle */
	char **members;
	size_t n_members, cap_members;
	int used;              /* read in this sync */
};

/*
 * What a roster carries from one sync to the next, so that a daemon can
 * apply the next changes to it instead of loading everyone from the store.
 */
struct roster_state {
	const struct conf *cf; /* the configuration it was built with */
	char *generation;      /* the store's "generation" it matches; NULL: none yet */
	struct group_state *groups;
	size_t n_groups, cap_groups;
};

/* State shared by the entry callbacks of one sync. */
struct sync_ctx {
	const struct conf *cf;
	store *st;
	struct roster *r;      /* kept up to date while reading, or NULL: loaded from the store after */
	struct sync_stats *stats;
	time_t now;
	struct group_state *group; /* the group being read */
	char *csn;             /* the entryCSN of the group entry just read */
	int found;             /* the group entry was seen */
	int failed;            /* a store write failed: abandon */
	const struct progress *progress;
	long expected;         /* staff count of the previous sync, for progress */
	int incremental;       /* applying changes on top of the store (not after a reset) */
	struct strmap *seen;   /* ids read in this sync, to catch duplicates */
	struct roster_person one; /* the entry being read (reused) */
	int stopped;           /* progress asked to stop */
	/* one entry's competence values before the roll-up (reused) */
	int *area_values, *comp_values;
	char *area_seen, *comp_seen;
	const char **level_ids; /* one entry's levels to store, ids and values (reused) */
	int *level_values;
	int rebuilt;           /* the roster is new: memberships and managers are all set again */
	int reshaped;          /* people came, went or changed DN: memberships and managers again */
	int groups_changed;    /* a group was read again */
	int reload;            /* people left in a present phase: load the roster from the store */
	size_t *touched;       /* people changed in place (same DN), for their manager link */
	size_t n_touched, cap_touched;
	struct roster *spare;  /* a roster not used for this sync, kept for its group cache */
	size_t last_level;     /* the person the last stored level loaded belonged to */
	int bulk;              /* a complete read: people are stored at its end, in uuid order */
	struct bulk_row *rows; /* bulk: what the roster lacks for the store, by roster index */
	size_t n_rows, cap_rows;
	struct bulk_level *comps; /* bulk: competence-level values, each person's together */
	size_t n_comps, cap_comps;
	char *titles;          /* bulk: the titles, one after the other with their NULs */
	size_t n_titles, cap_titles;
};

/*
 * What a complete read keeps of one person besides the roster, to store
 * them after the read: their title and where their competence-level values
 * (not rolled up into the roster's area levels) are in sync_ctx.comps.
 */
struct bulk_row {
	size_t title_at;       /* offset in sync_ctx.titles, or NO_TITLE */
	size_t comps_at, n_comps;
};

#define NO_TITLE ((size_t)-1)

/* One competence-level value of a person in a complete read. */
struct bulk_level {
	int competence;        /* index into cf->competences */
	int level;
};

/* Monotonic seconds, for the debug timings. */
static double mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How often (in entries) progress is reported. */
#define PROGRESS_EVERY 256

/*
 * Skip one value with a warning naming where it came from. value is NULL
 * for personal data (birth year, hire date): those are never logged.
 */
static void skip_value(struct sync_ctx *c, const char *dn, const char *attr, const char *value,
		       const char *why)
{
	if (value)
		log_entry(LOG_WARNING, dn, "sync", "%s: %s: value \"%s\" skipped: %s", dn, attr, value, why);
	else
		log_entry(LOG_WARNING, dn, "sync", "%s: %s: value skipped (not shown: personal data): %s",
			  dn, attr, why);
	c->stats->skipped_values++;
}

/* An entry whose id an earlier entry of the same read had: skipped with a warning. */
static void skip_twice(struct sync_ctx *c, const char *dn, const char *uuid)
{
	log_entry(LOG_WARNING, dn, "sync", "%s: entry skipped: %s %s seen twice in one read", dn, c->cf->attr.id,
		  uuid);
	c->stats->skipped_entries++;
}

/* A new person slot at the end of the roster. */
static struct roster_person *roster_append(struct roster *r)
{
	struct roster_person *p;
	r->people = xgrow(r->people, &r->cap, r->n + 1, sizeof(*r->people));
	p = &r->people[r->n];
	memset(p, 0, sizeof(*p));
	p->manager = ROSTER_NONE;
	p->cohort = p->seniority = p->capacity = -1;
	p->levels = xcalloc(r->n_areas ? r->n_areas : 1, sizeof(int));
	return p;
}

/* Free the strings of one person, keeping the levels buffer. */
static void person_strings_clear(struct roster_person *p)
{
	free(p->uuid);
	free(p->dn);
	free(p->cdn);
	free(p->name);
	free(p->mail);
	free(p->department);
	free(p->location);
	free(p->manager_cdn);
}

/* Free everything one person holds. */
static void person_clear(struct roster_person *p)
{
	person_strings_clear(p);
	free(p->levels);
}

/* Forget what a group held. */
static void group_clear_members(struct group_state *g)
{
	for (size_t i = 0; i < g->n_members; i++)
		free(g->members[i]);
	g->n_members = 0;
	free(g->csn);
	g->csn = NULL;
}

/* Free the state a roster carries between syncs. */
static void roster_state_free(struct roster_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_groups; i++) {
		group_clear_members(&s->groups[i]);
		free(s->groups[i].members);
		free(s->groups[i].name);
		free(s->groups[i].dn);
	}
	free(s->groups);
	free(s->generation);
	free(s);
}

void roster_free(struct roster *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		person_clear(&r->people[i]);
	free(r->people);
	strmap_free(r->by_cdn);
	strmap_free(r->by_uuid);
	roster_state_free(r->state);
	free(r);
}

/*
 * A new empty roster sized for about expected people. The group cache of
 * old (a roster being replaced, may be NULL) is kept when it was built with
 * the same configuration: group entries do not depend on who is stored.
 */
static struct roster *roster_new(const struct conf *cf, size_t expected, struct roster *old)
{
	struct roster *r = xcalloc(1, sizeof(*r));
	/* without an expected size (a first read) start big enough that growing the indexes stays rare */
	size_t slots = expected > 32768 ? expected : 32768;
	r->n_areas = cf->n_areas;
	r->people = xgrow(NULL, &r->cap, slots, sizeof(*r->people));
	r->by_cdn = strmap_new(slots);
	r->by_uuid = strmap_new(slots);
	if (old && old->state && old->state->cf == cf) {
		r->state = old->state;
		old->state = NULL;
		free(r->state->generation);
		r->state->generation = NULL;
	} else {
		r->state = xcalloc(1, sizeof(*r->state));
		r->state->cf = cf;
	}
	return r;
}

/* Start a new roster in the context, replacing (and freeing) the one there. */
static void ctx_new_roster(struct sync_ctx *c, size_t expected)
{
	struct roster *old = c->r ? c->r : c->spare;
	if (old == c->spare)
		c->spare = NULL;
	c->r = roster_new(c->cf, expected, old);
	roster_free(old);
	c->rebuilt = 1;
	c->n_touched = 0;
}

/* Drop the index entry of a canonical DN if it still points at idx (a rename may have taken it over). */
static void roster_unmap_cdn(struct roster *r, const char *cdn, size_t idx)
{
	size_t at;
	if (strmap_get(r->by_cdn, cdn, &at) == 0 && at == idx)
		strmap_del(r->by_cdn, cdn);
}

/*
 * Move what src holds (every string and value read) into dst, keeping dst's
 * levels buffer, group roles and manager link; src is left empty.
 */
static void person_take(struct roster_person *dst, struct roster_person *src, size_t n_areas)
{
	int *levels = dst->levels, *src_levels = src->levels;
	unsigned roles = dst->roles;
	size_t manager = dst->manager;
	person_strings_clear(dst);
	memcpy(levels, src_levels, (n_areas ? n_areas : 1) * sizeof(int));
	*dst = *src;
	dst->levels = levels;
	dst->roles = roles;
	dst->manager = manager;
	memset(src, 0, sizeof(*src));
	src->levels = src_levels;
}

/* Note a person changed in place, for their manager link. */
static void ctx_touch(struct sync_ctx *c, size_t idx)
{
	c->touched = xgrow(c->touched, &c->cap_touched, c->n_touched + 1, sizeof(*c->touched));
	c->touched[c->n_touched++] = idx;
}

/* Put the person just read into the roster: in place when known by uuid, else at the end. */
static void roster_upsert(struct sync_ctx *c, struct roster_person *p)
{
	struct roster *r = c->r;
	struct roster_person *dst;
	size_t idx;
	/* a full read has checked the uuid is new already (entry_identity) */
	if (c->seen && strmap_get(r->by_uuid, p->uuid, &idx) == 0) {
		dst = &r->people[idx];
		if (strcmp(dst->cdn, p->cdn) != 0) {
			roster_unmap_cdn(r, dst->cdn, idx);
			strmap_put(r->by_cdn, p->cdn, idx);
			c->reshaped = 1;
		} else {
			ctx_touch(c, idx);
		}
	} else {
		idx = r->n;
		dst = roster_append(r);
		r->n++;
		/* a complete read indexes everyone at its end (bulk_index) */
		if (!c->bulk) {
			strmap_put(r->by_uuid, p->uuid, idx);
			strmap_put(r->by_cdn, p->cdn, idx);
		}
		c->reshaped = 1;
	}
	person_take(dst, p, r->n_areas);
}

/* Take a person out of the roster; the last one moves into the gap. */
static void roster_remove(struct sync_ctx *c, const char *uuid)
{
	struct roster *r = c->r;
	size_t idx, last;
	if (!r || strmap_get(r->by_uuid, uuid, &idx) < 0)
		return;
	strmap_del(r->by_uuid, uuid);
	roster_unmap_cdn(r, r->people[idx].cdn, idx);
	person_clear(&r->people[idx]);
	last = r->n - 1;
	if (idx != last) {
		r->people[idx] = r->people[last];
		size_t at;
		strmap_put(r->by_uuid, r->people[idx].uuid, idx);
		if (strmap_get(r->by_cdn, r->people[idx].cdn, &at) == 0 && at == last)
			strmap_put(r->by_cdn, r->people[idx].cdn, idx);
	}
	r->n--;
	c->reshaped = 1;
}

/* ASCII letter, digit (no locale: DN syntax is ASCII). */
static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_alnum(int ch)
{
	return is_alpha(ch) || (ch >= '0' && ch <= '9');
}

/* A value character that no DN form escapes or changes. */
static int is_plain_value(int ch)
{
	return is_alnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

char *sync_dn_canonical(const char *dn)
{
	const char *s = dn;
	/*
	 * Nearly every DN is "type=value,type=value..." with nothing to escape,
	 * no spaces and no multi-valued RDN; its canonical form is the DN itself
	 * lower-cased, and libldap's parse and re-render (a tenth of a full
	 * read's time) is only needed for the others.
	 */
	for (;;) {
		if (!is_alpha((unsigned char)*s))
			return dir_dn_canonical(dn);
		while (is_alnum((unsigned char)*s) || *s == '-')
			s++;
		if (*s++ != '=' || !is_plain_value((unsigned char)*s))
			return dir_dn_canonical(dn);
		while (is_plain_value((unsigned char)*s))
			s++;
		if (*s == '\0')
			return ascii_lower(xstrdup(dn));
		if (*s++ != ',')
			return dir_dn_canonical(dn);
	}
}

/* The first value of a mapped attribute, or NULL when unmapped or absent. */
static char *mapped_value(const dir_entry *e, const char *attr)
{
	return attr && *attr ? dir_entry_value(e, attr) : NULL;
}

/* Birth year -> cohort; the year itself is dropped here. */
static void read_cohort(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.birth_year);
	int year;
	if (!v)
		return;
	if (model_parse_year(v, &year) < 0)
		skip_value(c, p->dn, c->cf->attr.birth_year, NULL, "not a year between 1900 and 2100");
	else if ((p->cohort = model_cohort_of(c->cf, year)) < 0)
		log_entry(LOG_INFO, p->dn, "sync", "%s: %s: year outside every configured cohort",
			  p->dn, c->cf->attr.birth_year);
	explicit_bzero(v, strlen(v));
	free(v);
}

/* Hire date -> seniority in full years; the date itself is dropped here. */
static void read_seniority(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.hire_date);
	int y, m, d;
	if (!v)
		return;
	if (model_parse_date(v, &y, &m, &d) < 0)
		skip_value(c, p->dn, c->cf->attr.hire_date, NULL, "not a GeneralizedTime or YYYY-MM-DD date");
	else
		p->seniority = model_seniority_years(y, m, d, c->now);
	explicit_bzero(v, strlen(v));
	free(v);
}

/* Capacity override, 0..100. */
static void read_capacity(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.capacity);
	long cap;
	if (!v)
		return;
	if (parse_long(v, 0, 100, &cap) < 0)
		skip_value(c, p->dn, c->cf->attr.capacity, v, "not an integer between 0 and 100");
	else
		p->capacity = (int)cap;
	free(v);
}

/* Keep one competence value "<id>=<level>" for an area or a competence; 0, or -1 with why. */
static int take_value(struct sync_ctx *c, const char *value, const char **why)
{
	char id[MODEL_AREA_MAX];
	int level, area, comp, rc = model_parse_competence(value, c->cf->scale, id, &level);
	char *seen;
	if (rc < 0) {
		*why = rc == -1 ? "expected <id>=<level>" : "level outside the scale";
		return -1;
	}
	rc = model_resolve(c->cf, id, &area, &comp);
	if (rc < 0) {
		*why = "unknown competence or area";
		return -1;
	}
	seen = rc == 1 ? &c->comp_seen[comp] : &c->area_seen[area];
	if (*seen) {
		*why = "second value for the same id";
		return -1;
	}
	*seen = 1;
	if (rc == 1)
		c->comp_values[comp] = level;
	else
		c->area_values[area] = level;
	return 0;
}

/* Competence values for the areas and competences of the model, rolled up to area levels. */
static void read_competences(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	const struct conf *cf = c->cf;
	const char *attr = cf->attr.competence, *why;
	char **vals = attr && *attr ? dir_entry_values(e, attr) : NULL;
	memset(c->area_values, 0, cf->n_areas * sizeof(int));
	memset(c->area_seen, 0, cf->n_areas);
	memset(c->comp_values, 0, cf->n_competences * sizeof(int));
	memset(c->comp_seen, 0, cf->n_competences);
	for (size_t i = 0; vals && vals[i]; i++)
		if (take_value(c, vals[i], &why) < 0)
			skip_value(c, p->dn, attr, vals[i], why);
	model_rollup(cf, c->area_values, c->comp_values, p->levels);
	dir_values_free(vals);
}

/*
 * The levels of one person to store: area levels (rolled up) and the
 * competence-level values read (comp_values, NULL: none), as ids and values
 * in ids and values. Returns how many.
 */
static size_t person_levels(struct sync_ctx *c, const int *levels, const int *comp_values, const char **ids,
			    int *values)
{
	const struct conf *cf = c->cf;
	size_t n = 0;
	for (size_t i = 0; i < cf->n_areas; i++)
		if (levels[i] > 0) {
			ids[n] = cf->areas[i].id;
			values[n++] = levels[i];
		}
	for (size_t i = 0; comp_values && i < cf->n_competences; i++)
		if (comp_values[i] > 0) {
			ids[n] = cf->competences[i].id;
			values[n++] = comp_values[i];
		}
	return n;
}

/* A person as the store takes them (title: the mapped title, may be NULL). */
static struct store_person store_row(const struct conf *cf, const struct roster_person *p, const char *title)
{
	return (struct store_person){
		.uuid = p->uuid, .dn = p->dn, .name = p->name, .mail = p->mail, .title = title,
		.department = p->department, .location = p->location, .manager_dn = p->manager_cdn,
		.cohort = p->cohort >= 0 ? cf->cohorts[p->cohort].name : NULL,
		.seniority = p->seniority, .capacity = p->capacity, .cdn = p->cdn,
	};
}

/* Store one person and their competences as they are read. */
static int store_person(struct sync_ctx *c, const struct roster_person *p, const dir_entry *e)
{
	char *title = mapped_value(e, c->cf->attr.title);
	struct store_person sp = store_row(c->cf, p, title);
	int rc;
	sp.n_levels = person_levels(c, p->levels, c->comp_values, c->level_ids, c->level_values);
	sp.level_ids = c->level_ids;
	sp.level_values = c->level_values;
	rc = store_staff_put(c->st, &sp);
	free(title);
	return rc;
}

/*
 * A complete read: keep what the store needs besides the roster for the
 * person about to take roster slot idx (their title and competence-level
 * values), to store everyone at the end of the read.
 */
static void bulk_keep(struct sync_ctx *c, size_t idx, const dir_entry *e)
{
	struct bulk_row *row;
	char *title;
	c->rows = xgrow(c->rows, &c->cap_rows, idx + 1, sizeof(*c->rows));
	row = &c->rows[idx];
	c->n_rows = idx + 1;
	row->title_at = NO_TITLE;
	if ((title = mapped_value(e, c->cf->attr.title))) {
		size_t len = strlen(title) + 1;
		c->titles = xgrow(c->titles, &c->cap_titles, c->n_titles + len, 1);
		memcpy(c->titles + c->n_titles, title, len);
		row->title_at = c->n_titles;
		c->n_titles += len;
		free(title);
	}
	row->comps_at = c->n_comps;
	row->n_comps = 0;
	for (size_t i = 0; i < c->cf->n_competences; i++)
		if (c->comp_values[i] > 0) {
			c->comps = xgrow(c->comps, &c->cap_comps, c->n_comps + 1, sizeof(*c->comps));
			c->comps[c->n_comps++] = (struct bulk_level){(int)i, c->comp_values[i]};
			row->n_comps++;
		}
}

/* Forget what bulk_keep kept, and stop keeping. */
static void bulk_clear(struct sync_ctx *c)
{
	free(c->rows);
	free(c->comps);
	free(c->titles);
	c->rows = NULL;
	c->comps = NULL;
	c->titles = NULL;
	c->n_rows = c->cap_rows = c->n_comps = c->cap_comps = c->n_titles = c->cap_titles = 0;
	c->bulk = 0;
}

/* A complete read starts on a new roster: keep people for bulk_write. */
static void bulk_start(struct sync_ctx *c)
{
	bulk_clear(c);
	c->bulk = 1;
}

/* A person leaves the roster during a complete read: the roster's last one takes their slot, here too. */
static void bulk_forget(struct sync_ctx *c, const char *uuid)
{
	struct roster *r = c->r;
	size_t idx = 0;
	/* not indexed yet, and a refresh without a cookie deletes nobody: the slow way is fine */
	while (idx < r->n && strcmp(r->people[idx].uuid, uuid) != 0)
		idx++;
	if (idx == r->n)
		return;
	person_clear(&r->people[idx]);
	r->people[idx] = r->people[--r->n];
	c->rows[idx] = c->rows[--c->n_rows];
	c->reshaped = 1;
}

/* A roster index with the first 8 octets of its uuid as a number, for sorting. */
struct bulk_key {
	uint64_t prefix;
	const char *uuid;
	size_t idx;
};

/* The first 8 octets of s (fewer when shorter) big-endian: numbers that sort as the strings do. */
static uint64_t bulk_prefix(const char *s)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < 8 && s[i]; i++)
		v = v << 8 | (unsigned char)s[i];
	return v << (8 * (8 - i));
}

/* Order by uuid (the prefix decides nearly always), then by roster index. */
static int bulk_key_cmp(const void *a, const void *b)
{
	const struct bulk_key *x = a, *y = b;
	int rc;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if ((rc = strcmp(x->uuid, y->uuid)) != 0)
		return rc;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Drop the people whose uuid an earlier entry of the read had (keys, in
 * uuid order, has them right after it): each is skipped with a warning,
 * the first one read stays. Returns how many keys are left (the dropped
 * ones' are removed, the others follow the roster's new indexes).
 */
static size_t bulk_drop_twice(struct sync_ctx *c, struct bulk_key *keys, size_t n)
{
	struct roster *r = c->r;
	size_t *moved = NULL, j = 0, k = 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(keys[i].uuid, keys[i - 1].uuid) == 0) {
			if (!moved)
				moved = xcalloc(r->n, sizeof(*moved));
			moved[keys[i].idx] = ROSTER_NONE;
			skip_twice(c, r->people[keys[i].idx].dn, keys[i].uuid);
			c->stats->staff--;
		}
	if (!moved)
		return n;
	for (size_t i = 0; i < r->n; i++) {
		if (moved[i] == ROSTER_NONE) {
			person_clear(&r->people[i]);
			continue;
		}
		r->people[j] = r->people[i];
		c->rows[j] = c->rows[i];
		moved[i] = j++;
	}
	r->n = c->n_rows = j;
	for (size_t i = 0; i < n; i++)
		if (moved[keys[i].idx] != ROSTER_NONE)
			keys[k++] = (struct bulk_key){keys[i].prefix, r->people[moved[keys[i].idx]].uuid, moved[keys[i].idx]};
	free(moved);
	return k;
}

/*
 * The roster's indexes after a complete read, built once everyone is in:
 * sized for them, so they never grow and rehash on the way, and with no
 * look-up per entry while reading. By DN in the order read, so that of two
 * entries with one DN the later one counts, as it would have while reading.
 */
static void bulk_index(struct roster *r)
{
	strmap_free(r->by_uuid);
	strmap_free(r->by_cdn);
	r->by_uuid = strmap_new(r->n);
	r->by_cdn = strmap_new(r->n);
	for (size_t i = 0; i < r->n; i++) {
		strmap_put(r->by_uuid, r->people[i].uuid, i);
		strmap_put(r->by_cdn, r->people[i].cdn, i);
	}
}

/*
 * Add the person at roster index idx, with what bulk_keep kept of them, to
 * a batch for store_staff_load; their levels go to ids and values, which
 * have room for every area and competence.
 */
static void bulk_add(struct sync_ctx *c, size_t idx, struct store_person *sp, const char **ids, int *values)
{
	const struct roster_person *p = &c->r->people[idx];
	const struct bulk_row *row = &c->rows[idx];
	size_t n = person_levels(c, p->levels, NULL, ids, values);
	*sp = store_row(c->cf, p, row->title_at == NO_TITLE ? NULL : c->titles + row->title_at);
	for (size_t i = 0; i < row->n_comps; i++, n++) {
		const struct bulk_level *lv = &c->comps[row->comps_at + i];
		ids[n] = c->cf->competences[lv->competence].id;
		values[n] = lv->level;
	}
	sp->level_ids = ids;
	sp->level_values = values;
	sp->n_levels = n;
}

/* bulk_index in a thread of its own. */
static void *bulk_index_thread(void *roster)
{
	bulk_index(roster);
	return NULL;
}

/* Store the people of keys (in uuid order), STORE_LOAD_PEOPLE at a time. */
static int bulk_load(struct sync_ctx *c, const struct bulk_key *keys, size_t n_keys)
{
	struct store_person batch[STORE_LOAD_PEOPLE];
	size_t per = c->cf->n_areas + c->cf->n_competences, n = 0;
	const char **ids = xcalloc(STORE_LOAD_PEOPLE * per + 1, sizeof(*ids));
	int *values = xcalloc(STORE_LOAD_PEOPLE * per + 1, sizeof(*values));
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < n_keys; k++) {
		bulk_add(c, keys[k].idx, &batch[n], ids + n * per, values + n * per);
		if (++n == STORE_LOAD_PEOPLE || k + 1 == n_keys) {
			rc = store_staff_load(c->st, batch, n);
			n = 0;
		}
	}
	free(ids);
	free(values);
	return rc;
}

/*
 * Store everyone a complete read put in the roster, in uuid order: the
 * store's tables and indexes are keyed by uuid, and rows that come in key
 * order are appended where rows in the directory's order would go to
 * random places of every index. The roster's indexes are built meanwhile
 * on the other core: they touch nothing the load does but the strings
 * both only read, and the load comes after the directory read, with the
 * server idle.
 */
static int bulk_write(struct sync_ctx *c)
{
	struct roster *r = c->r;
	struct bulk_key *keys = xcalloc(r->n ? r->n : 1, sizeof(*keys));
	size_t n_keys = r->n;
	pthread_t indexer;
	int threaded, rc;
	for (size_t i = 0; i < r->n; i++)
		keys[i] = (struct bulk_key){bulk_prefix(r->people[i].uuid), r->people[i].uuid, i};
	qsort(keys, n_keys, sizeof(*keys), bulk_key_cmp);
	n_keys = bulk_drop_twice(c, keys, n_keys);
	if (!(threaded = pthread_create(&indexer, NULL, bulk_index_thread, r) == 0))
		bulk_index(r);
	rc = bulk_load(c, keys, n_keys);
	if (threaded)
		pthread_join(indexer, NULL);
	free(keys);
	return rc;
}

/*
 * Store the people one person asked not to be paired with, as canonical DNs
 * (resolved to people when matching). The values are DNs of colleagues, so a
 * bad one is skipped without showing it.
 */
static int store_avoid_list(struct sync_ctx *c, const struct roster_person *p, const dir_entry *e)
{
	const char *attr = c->cf->attr.avoid;
	char **vals = attr && *attr ? dir_entry_values(e, attr) : NULL, *cdn;
	int rc = c->incremental ? store_avoid_clear(c->st, p->uuid) : 0;
	for (size_t i = 0; rc == 0 && vals && vals[i]; i++) {
		if (!(cdn = sync_dn_canonical(vals[i]))) {
			skip_value(c, p->dn, attr, NULL, "not a DN");
			continue;
		}
		rc = store_avoid_put(c->st, p->uuid, cdn);
		free(cdn);
	}
	dir_values_free(vals);
	return rc;
}

/* Check the stable id and DN of an entry; returns the uuid or NULL to skip it. */
static char *entry_identity(struct sync_ctx *c, const dir_entry *e, char **cdn)
{
	const char *dn = dir_entry_dn(e);
	char *uuid = mapped_value(e, c->cf->attr.id);
	size_t idx;
	*cdn = sync_dn_canonical(dn);
	if (!uuid || !*cdn) {
		log_entry(LOG_WARNING, dn, "sync", "%s: entry skipped: %s", dn,
			  !uuid ? "no stable id attribute" : "DN cannot be parsed");
		c->stats->skipped_entries++;
	} else if (!c->bulk && strmap_get(c->seen ? c->seen : c->r->by_uuid, uuid, &idx) == 0) {
		skip_twice(c, dn, uuid);
	} else {
		return uuid; /* a complete read finds an id read twice at its end (bulk_drop_twice) */
	}
	free(uuid);
	free(*cdn);
	*cdn = NULL;
	return NULL;
}

/* Entry callback for people: check and store one person (not kept in memory). */
static int on_person(const dir_entry *e, void *arg)
{
	struct sync_ctx *c = arg;
	const struct conf *cf = c->cf;
	struct roster_person *p = &c->one;
	char *cdn, *uuid, *manager;
	int rc;
	c->stats->read++;
	if (!(uuid = entry_identity(c, e, &cdn)))
		return 0;
	memset(p, 0, offsetof(struct roster_person, levels));
	p->manager = ROSTER_NONE;
	p->cohort = p->seniority = p->capacity = -1;
	p->uuid = uuid;
	p->cdn = cdn;
	p->dn = xstrdup(dir_entry_dn(e));
	p->name = mapped_value(e, cf->attr.name);
	p->mail = mapped_value(e, cf->attr.mail);
	p->department = mapped_value(e, cf->attr.department);
	p->location = mapped_value(e, cf->attr.location);
	if ((manager = mapped_value(e, cf->attr.manager)) && !(p->manager_cdn = sync_dn_canonical(manager)))
		skip_value(c, p->dn, cf->attr.manager, manager, "not a DN");
	free(manager);
	read_cohort(c, e, p);
	read_seniority(c, e, p);
	read_capacity(c, e, p);
	read_competences(c, e, p);
	rc = c->bulk ? 0 : store_person(c, p, e);
	if (rc == 0)
		rc = store_avoid_list(c, p, e);
	if (rc == 0 && c->seen)
		strmap_put(c->seen, p->uuid, 0);
	if (rc == 0 && c->bulk)
		bulk_keep(c, c->r->n, e); /* a complete read appends to its new roster */
	if (rc == 0 && c->r)
		roster_upsert(c, p);
	person_strings_clear(p);
	if (rc < 0) {
		c->failed = 1;
		return -1;
	}
	c->stats->staff++;
	if (c->stats->staff % PROGRESS_EVERY == 0 &&
	    progress_report(c->progress, SYNC_PHASE, c->stats->staff, c->expected)) {
		c->stopped = 1;
		return -1;
	}
	return 0;
}

/* A person the server reports as gone. */
static int forget_person(struct sync_ctx *c, const char *uuid)
{
	int rc = store_staff_delete(c->st, uuid);
	if (rc < 0) {
		c->failed = 1;
		return -1;
	}
	c->stats->removed += rc;
	if (c->bulk)
		bulk_forget(c, uuid);
	else
		roster_remove(c, uuid);
	return 0;
}

/* Sync callback: one entry added, changed, present or deleted. */
static int on_sync_entry(const dir_entry *e, const char *uuid, enum dir_sync_state state, void *arg)
{
	struct sync_ctx *c = arg;
	if (c->failed || c->stopped)
		return -1; /* the read is being abandoned; nothing more is applied */
	if (state == DIR_SYNC_DELETE) {
		c->stats->read++;
		return forget_person(c, uuid);
	}
	if (c->incremental && store_seen_put(c->st, uuid) < 0) {
		c->failed = 1;
		return -1;
	}
	if (state == DIR_SYNC_PRESENT)
		return 0;
	return on_person(e, c);
}

/* Sync callback: a syncIdSet, the uuids of present or of deleted entries. */
static int on_sync_ids(char **uuids, enum dir_sync_state state, void *arg)
{
	struct sync_ctx *c = arg;
	int rc = 0;
	if (c->failed || c->stopped)
		return -1;
	for (size_t i = 0; uuids[i] && rc == 0; i++) {
		if (state == DIR_SYNC_DELETE)
			rc = forget_person(c, uuids[i]);
		else if (c->incremental && (rc = store_seen_put(c->st, uuids[i])) < 0)
			c->failed = 1;
	}
	c->stats->ids += (long)dir_values_count(uuids);
	return rc;
}

/* The cached state of the named group, created on first use; a new DN forgets what was cached. */
static struct group_state *group_state(struct roster_state *rs, const char *name, const char *dn, unsigned role)
{
	struct group_state *g;
	for (size_t i = 0; i < rs->n_groups; i++) {
		g = &rs->groups[i];
		if (strcmp(g->name, name) != 0)
			continue;
		if (strcmp(g->dn, dn) != 0) {
			group_clear_members(g);
			free(g->dn);
			g->dn = xstrdup(dn);
		}
		g->role = role;
		return g;
	}
	rs->groups = xgrow(rs->groups, &rs->cap_groups, rs->n_groups + 1, sizeof(*rs->groups));
	g = &rs->groups[rs->n_groups++];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->dn = xstrdup(dn);
	g->role = role;
	return g;
}

/* Entry callback for the entryCSN of a participant group. */
static int on_group_csn(const dir_entry *e, void *arg)
{
	struct sync_ctx *c = arg;
	c->found = 1;
	free(c->csn);
	c->csn = dir_entry_value(e, "entryCSN");
	return 0;
}

/* Entry callback for a participant group (a base search): its members' canonical DNs. */
static int on_group(const dir_entry *e, void *arg)
{
	struct sync_ctx *c = arg;
	struct group_state *g = c->group;
	char **members = dir_entry_values(e, c->cf->member_attr), *cdn;
	c->found = 1;
	group_clear_members(g);
	g->csn = dir_entry_value(e, "entryCSN");
	for (size_t i = 0; members && members[i]; i++) {
		if (!(cdn = sync_dn_canonical(members[i]))) {
			log_entry(LOG_WARNING, dir_entry_dn(e), "sync", "%s: %s: value \"%s\" skipped: not a DN",
				  dir_entry_dn(e), c->cf->member_attr, members[i]);
			c->stats->skipped_values++;
			continue;
		}
		g->members = xgrow(g->members, &g->cap_members, g->n_members + 1, sizeof(*g->members));
		g->members[g->n_members++] = cdn;
	}
	dir_values_free(members);
	c->groups_changed = 1;
	return 0;
}

/*
 * Read one participant group; a missing group fails the sync. When the
 * members of the group are cached from an earlier cycle, only its entryCSN
 * is asked for first, and the members are read again only if it changed.
 */
static int read_group(dir *d, struct sync_ctx *c, const char *dn, const char *group, unsigned role)
{
	const char *csn_attrs[] = {"entryCSN", NULL}, *attrs[] = {c->cf->member_attr, "entryCSN", NULL};
	struct group_state *g = group_state(c->r->state, group, dn, role);
	int rc;
	c->group = g;
	c->found = 0;
	g->used = 1;
	if (g->csn) {
		rc = dir_search(d, dn, DIR_SCOPE_BASE, "(objectClass=*)", csn_attrs, on_group_csn, c);
		if (rc == 0 && c->found && c->csn && strcmp(c->csn, g->csn) == 0)
			return 0;
		if (rc < 0)
			return rc;
		c->found = 0;
	}
	group_clear_members(g);
	rc = dir_search(d, dn, DIR_SCOPE_BASE, "(objectClass=*)", attrs, on_group, c);
	if (rc == DIR_NO_SUCH_OBJECT || (rc == 0 && !c->found)) {
		log_entry(LOG_ERR, dn, "sync", "participant group %s (%s) does not exist", dn, group);
		group_clear_members(g);
		return -1;
	}
	if (rc != 0)
		group_clear_members(g);
	return rc;
}

/*
 * Give everyone the roles of the groups they are in, from the members read
 * (or cached) for this sync, and store the memberships again: only when they
 * can differ from the ones in place, that is for a new roster, people who
 * came, went or changed DN, or a group read again.
 */
static int apply_groups(struct sync_ctx *c)
{
	struct roster *r = c->r;
	struct roster_state *rs = r->state;
	int rewrite = c->rebuilt || c->reshaped || c->groups_changed, rc = 0;
	size_t idx;
	if (!rewrite)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		r->people[i].roles = 0;
	for (size_t k = 0; k < rs->n_groups; k++) {
		struct group_state *g = &rs->groups[k];
		for (size_t i = 0; g->used && i < g->n_members; i++) {
			if (strmap_get(r->by_cdn, g->members[i], &idx) == 0) {
				r->people[idx].roles |= g->role;
			} else {
				log_entry(LOG_DEBUG, g->dn, "sync", "%s: member %s is not among the synced staff",
					  g->dn, g->members[i]);
				c->stats->outside++;
			}
		}
	}
	rc = store_members_reset(c->st);
	for (size_t i = 0; rc == 0 && i < r->n; i++)
		for (size_t k = 0; rc == 0 && k < rs->n_groups; k++)
			if (rs->groups[k].used && (r->people[i].roles & rs->groups[k].role))
				rc = store_member_put(c->st, rs->groups[k].name, r->people[i].uuid);
	return rc;
}

/* People in both groups take part in neither: HR has to decide. Name participants who cannot be matched. */
static void check_participants(struct sync_ctx *c)
{
	for (size_t i = 0; i < c->r->n; i++) {
		struct roster_person *p = &c->r->people[i];
		if ((p->roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) == (ROSTER_JUNIOR | ROSTER_SENIOR)) {
			log_entry(LOG_WARNING, p->dn, "sync",
				  "%s is in both the juniors and the seniors group; left out of matching", p->dn);
			p->roles &= ~(ROSTER_JUNIOR | ROSTER_SENIOR);
		}
		if ((p->roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) && !(p->roles & ROSTER_EXCLUDED) && p->cohort < 0)
			log_entry(LOG_WARNING, p->dn, "sync", "%s is in the %s group but has no birth year "
				  "in a configured cohort (%s); cannot be matched", p->dn,
				  p->roles & ROSTER_JUNIOR ? "juniors" : "seniors", c->cf->attr.birth_year);
		c->stats->juniors += (p->roles & ROSTER_JUNIOR) != 0;
		c->stats->seniors += (p->roles & ROSTER_SENIOR) != 0;
	}
}

/* Link one person to their manager's roster index. */
static void resolve_manager(struct roster *r, size_t i)
{
	size_t idx;
	r->people[i].manager = ROSTER_NONE;
	if (r->people[i].manager_cdn && strmap_get(r->by_cdn, r->people[i].manager_cdn, &idx) == 0 && idx != i)
		r->people[i].manager = idx;
}

/* Link people to their managers: everyone after a change of shape, else those changed in place. */
static void resolve_managers(struct sync_ctx *c)
{
	if (c->rebuilt || c->reshaped)
		for (size_t i = 0; i < c->r->n; i++)
			resolve_manager(c->r, i);
	else
		for (size_t i = 0; i < c->n_touched; i++)
			resolve_manager(c->r, c->touched[i]);
}

/* The attributes to request for people: every mapped one. */
static void people_attrs(const struct conf *cf, const char **attrs)
{
	const char *const mapped[] = {cf->attr.id, cf->attr.name, cf->attr.mail, cf->attr.title,
				      cf->attr.department, cf->attr.manager, cf->attr.location,
				      cf->attr.birth_year, cf->attr.hire_date, cf->attr.competence,
				      cf->attr.capacity, cf->attr.avoid};
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(mapped); i++)
		if (mapped[i] && *mapped[i])
			attrs[n++] = mapped[i];
	attrs[n] = NULL;
}

/* A stored person into the roster. */
static int load_person(const struct store_person *sp, void *arg)
{
	struct sync_ctx *c = arg;
	struct roster_person *p = roster_append(c->r);
	p->uuid = xstrdup(sp->uuid);
	p->dn = xstrdup(sp->dn);
	p->cdn = sp->cdn ? xstrdup(sp->cdn) : sync_dn_canonical(sp->dn);
	if (!p->cdn)
		p->cdn = ascii_lower(xstrdup(sp->dn));
	p->name = xstrdup(sp->name);
	p->mail = xstrdup(sp->mail);
	p->department = xstrdup(sp->department);
	p->location = xstrdup(sp->location);
	p->manager_cdn = xstrdup(sp->manager_dn);
	for (size_t i = 0; sp->cohort && i < c->cf->n_cohorts && p->cohort < 0; i++)
		if (strcmp(c->cf->cohorts[i].name, sp->cohort) == 0)
			p->cohort = (int)i;
	p->seniority = sp->seniority;
	p->capacity = sp->capacity;
	strmap_put(c->r->by_uuid, p->uuid, c->r->n);
	strmap_put(c->r->by_cdn, p->cdn, c->r->n);
	c->r->n++;
	return 0;
}

/* A stored area level into the roster (competence-level rows are not needed for matching). */
static int load_level(const char *uuid, const char *id, int level, void *arg)
{
	struct sync_ctx *c = arg;
	size_t idx;
	int area = conf_area_index(c->cf, id);
	if (area < 0)
		return 0;
	/* a person's rows come together: one lookup per person, not per level */
	if (c->last_level < c->r->n && strcmp(c->r->people[c->last_level].uuid, uuid) == 0)
		idx = c->last_level;
	else if (strmap_get(c->r->by_uuid, uuid, &idx) < 0)
		return 0;
	c->last_level = idx;
	c->r->people[idx].levels[area] = level;
	return 0;
}

/* The roster for matching: everyone stored now, whatever this cycle read. */
static int load_roster(struct sync_ctx *c)
{
	long n = store_staff_count(c->st);
	ctx_new_roster(c, n > 0 ? (size_t)n : 0);
	c->last_level = ROSTER_NONE;
	if (store_staff_each(c->st, load_person, c) < 0 || store_competence_each(c->st, load_level, c) < 0)
		return -1;
	return 0;
}

/* A new read starts: forget the ids read so far (seen: keep a set of them, else the roster has them). */
static void reset_seen(struct sync_ctx *c, int seen)
{
	strmap_free(c->seen);
	c->seen = seen ? strmap_new(1024) : NULL;
	c->stats->read = c->stats->ids = c->stats->removed = c->stats->staff = 0;
}

/* A complete read that replaces everyone stored: RFC 4533 without a cookie, else paged. */
static int read_full(dir *d, struct sync_ctx *c, const char *const *attrs, int use_sync, char **cookie)
{
	static const struct dir_sync_ops ops = {on_sync_entry, on_sync_ids};
	const struct conf *cf = c->cf;
	int rc = DIR_SYNC_UNSUPPORTED, deletes;
	c->incremental = 0;
	c->stats->mode = SYNC_MODE_FULL;
	c->stats->reused = 0;
	reset_seen(c, 0);
	/* the roster is built as the entries come: no second pass over the store */
	ctx_new_roster(c, c->expected > 0 ? (size_t)c->expected : 0);
	bulk_start(c);
	if (store_staff_reset(c->st) < 0)
		return -1;
	if (use_sync)
		rc = dir_sync(d, cf->people_base, cf->people_filter, attrs, NULL, &ops, c, cookie, &deletes);
	if (rc == DIR_SYNC_UNSUPPORTED) {
		if (use_sync)
			log_notice("%s: the server does not offer content synchronization (RFC 4533, syncprov) "
				   "for %s; reading all people with paged searches", dir_uri(d), cf->people_base);
		c->stats->mode = SYNC_MODE_PAGED;
		rc = dir_search(d, cf->people_base, DIR_SCOPE_SUB, cf->people_filter, attrs, on_person, c);
	}
	return rc;
}

/* Changes since cookie on top of the store; falls back to a full read when the server asks. */
static int read_changes(dir *d, struct sync_ctx *c, const char *const *attrs, const char *cookie,
			char **new_cookie)
{
	static const struct dir_sync_ops ops = {on_sync_entry, on_sync_ids};
	const struct conf *cf = c->cf;
	int rc, deletes = 1;
	long gone;
	c->incremental = 1;
	c->stats->mode = SYNC_MODE_INCREMENTAL;
	reset_seen(c, 1);
	if (store_seen_reset(c->st) < 0)
		return -1;
	rc = dir_sync(d, cf->people_base, cf->people_filter, attrs, cookie, &ops, c, new_cookie, &deletes);
	if (rc == DIR_SYNC_RELOAD) {
		log_notice("%s: the server cannot send changes since the stored sync cookie (refresh required "
			   "or cookie refused); reading all people", dir_uri(d));
		return read_full(d, c, attrs, 1, new_cookie);
	}
	if (rc == 0 && !deletes && !c->failed && !c->stopped) {
		/* a present phase: whoever the server did not list is gone */
		if ((gone = store_staff_delete_unseen(c->st)) < 0)
			return -1;
		c->stats->removed += gone;
		c->reload = gone > 0; /* who went is known to the store only */
	}
	return rc;
}

/* Whether this cycle may read only changes: a cookie, entryUUID ids, and a recent full read. */
static char *usable_cookie(store *st, const struct conf *cf, time_t now)
{
	char *cookie = NULL, *full_at = NULL;
	long long at = 0;
	if (strcasecmp(cf->attr.id, "entryUUID") != 0 || cf->full_sync_interval == 0 ||
	    store_sync_get(st, "cookie", &cookie) != 0 || store_sync_get(st, "full_at", &full_at) != 0 ||
	    sscanf(full_at, "%lld", &at) != 1 || (long long)now - at >= cf->full_sync_interval || now < at) {
		free(cookie);
		cookie = NULL;
	}
	free(full_at);
	return cookie;
}

/* Whether a roster kept from an earlier sync still shows the store: same configuration, no other writer since. */
static int roster_current(struct sync_ctx *c, const struct roster *r)
{
	char *gen = NULL;
	int same = r->state && r->state->cf == c->cf && r->state->generation && r->n_areas == c->cf->n_areas &&
		   store_sync_get(c->st, "generation", &gen) == 0 && strcmp(gen, r->state->generation) == 0;
	free(gen);
	if (!same)
		log_info("the state database changed since the roster in memory was built; loading it again");
	return same;
}

/* Active Directory (sync_ad.c): a read starts, of everyone (a new roster as they come) or of changes. */
static void ad_begin(int incremental, void *arg)
{
	struct sync_ctx *c = arg;
	c->incremental = incremental;
	c->stats->mode = incremental ? SYNC_MODE_INCREMENTAL : SYNC_MODE_PAGED;
	reset_seen(c, incremental);
	if (!incremental) {
		c->stats->reused = 0;
		ctx_new_roster(c, c->expected > 0 ? (size_t)c->expected : 0);
		bulk_start(c);
	}
}

/* Read people into the store: changes when possible, everyone otherwise; records the new sync state. */
static int read_people(dir *d, struct sync_ctx *c, const char *const *attrs, struct roster *kept)
{
	static const struct sync_ad_hooks ad_hooks = {ad_begin, on_sync_entry};
	char *cookie, *new_cookie = NULL, at[32];
	int rc, use_sync = strcasecmp(c->cf->attr.id, "entryUUID") == 0;
	int ad = sync_ad_wanted(d, c->cf);
	cookie = ad ? NULL : usable_cookie(c->st, c->cf, c->now);
	/* a kept roster can only take changes (AD decides later; a complete read starts a new one) */
	if ((cookie || ad) && kept && roster_current(c, kept)) {
		c->r = kept;
		c->stats->reused = 1;
		c->expected = (long)kept->n;
	} else {
		c->spare = kept;
		c->expected = store_staff_count(c->st);
	}
	progress_report(c->progress, SYNC_PHASE, 0, c->expected);
	if (ad)
		return sync_ad_read(d, c->st, c->cf, c->now, attrs, &ad_hooks, c, NULL);
	if (cookie)
		rc = read_changes(d, c, attrs, cookie, &new_cookie);
	else
		rc = read_full(d, c, attrs, use_sync, &new_cookie);
	if (rc == DIR_NO_SUCH_OBJECT)
		log_err("people base %s does not exist", c->cf->people_base);
	/* a refresh that sends no new cookie (nothing changed) leaves the one it started from valid */
	if (!new_cookie && c->stats->mode == SYNC_MODE_INCREMENTAL) {
		new_cookie = cookie;
		cookie = NULL;
	}
	if (rc == 0 && !c->failed && !c->stopped) {
		snprintf(at, sizeof(at), "%lld", (long long)c->now);
		if (store_sync_set(c->st, "cookie", new_cookie) < 0 ||
		    (c->stats->mode != SYNC_MODE_INCREMENTAL && store_sync_set(c->st, "full_at", at) < 0))
			rc = -1;
	}
	free(cookie);
	free(new_cookie);
	return rc;
}

/* Name the store's new state, so the next sync knows whether this roster still shows it. */
static int mark_generation(struct sync_ctx *c)
{
	char *gen = random_token();
	if (store_sync_set(c->st, "generation", gen) < 0) {
		free(gen);
		return -1;
	}
	free(c->r->state->generation);
	c->r->state->generation = gen;
	return 0;
}

/* Everything after the people: the roster complete, the groups read and applied, the store marked. */
static int finish_sync(dir *d, struct sync_ctx *c)
{
	const struct conf *cf = c->cf;
	int rc = 0;
	if (!c->r || c->reload)
		rc = load_roster(c);
	for (size_t i = 0; rc == 0 && i < c->r->state->n_groups; i++)
		c->r->state->groups[i].used = 0;
	if (rc == 0)
		rc = read_group(d, c, cf->juniors_group, "juniors", ROSTER_JUNIOR);
	if (rc == 0)
		rc = read_group(d, c, cf->seniors_group, "seniors", ROSTER_SENIOR);
	if (rc == 0 && cf->trained_group)
		rc = read_group(d, c, cf->trained_group, "trained", ROSTER_TRAINED);
	if (rc == 0 && cf->excluded_group)
		rc = read_group(d, c, cf->excluded_group, "excluded", ROSTER_EXCLUDED);
	if (rc == 0)
		rc = apply_groups(c);
	if (rc == 0)
		rc = mark_generation(c);
	return rc;
}

const char *sync_mode_name(enum sync_mode mode)
{
	switch (mode) {
	case SYNC_MODE_INCREMENTAL: return "incremental";
	case SYNC_MODE_PAGED: return "full, paged";
	default: return "full";
	}
}

int sync_run(dir *d, store *st, const struct conf *cf, time_t now, const struct progress *progress,
	     struct roster **out, struct sync_stats *stats)
{
	const char *attrs[16];
	struct roster *kept = *out;
	struct sync_ctx c = {.cf = cf, .st = st, .stats = stats, .now = now, .progress = progress};
	double t0, t1;
	int rc;
	*out = NULL;
	c.area_values = xcalloc(cf->n_areas + 1, sizeof(int));
	c.comp_values = xcalloc(cf->n_competences + 1, sizeof(int));
	c.area_seen = xcalloc(cf->n_areas + 1, 1);
	c.comp_seen = xcalloc(cf->n_competences + 1, 1);
	c.one.levels = xcalloc(cf->n_areas + 1, sizeof(int));
	c.level_ids = xcalloc(cf->n_areas + cf->n_competences + 1, sizeof(*c.level_ids));
	c.level_values = xcalloc(cf->n_areas + cf->n_competences + 1, sizeof(int));
	memset(stats, 0, sizeof(*stats));
	people_attrs(cf, attrs);
	t0 = mono_seconds();
	rc = read_people(d, &c, attrs, kept);
	if (rc == 0 && c.bulk && !c.failed && !c.stopped)
		rc = bulk_write(&c);
	bulk_clear(&c);
	t1 = mono_seconds();
	if (rc == 0 && !c.failed && !c.stopped)
		rc = finish_sync(d, &c);
	log_debug("sync: people read in %.3f s, groups and roster in %.3f s", t1 - t0, mono_seconds() - t1);
	free(c.area_values);
	free(c.comp_values);
	free(c.area_seen);
	free(c.comp_seen);
	free(c.one.levels);
	free(c.level_ids);
	free(c.level_values);
	strmap_free(c.seen);
	free(c.csn);
	roster_free(c.spare);
	if (rc != 0 || c.failed || c.stopped) {
		free(c.touched);
		roster_free(c.r);
		return c.stopped ? -2 : -1;
	}
	stats->staff = (long)c.r->n;
	check_participants(&c);
	resolve_managers(&c);
	free(c.touched);
	*out = c.r;
	return 0;
}

/* A stored membership into the roster roles. */
static int load_member(const char *group, const char *uuid, void *arg)
{
	static const struct {
		const char *name;
		unsigned role;
	} groups[] = {{"juniors", ROSTER_JUNIOR}, {"seniors", ROSTER_SENIOR}, {"trained", ROSTER_TRAINED},
		      {"excluded", ROSTER_EXCLUDED}};
	struct sync_ctx *c = arg;
	size_t idx;
	if (strmap_get(c->r->by_uuid, uuid, &idx) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(groups); i++)
		if (strcmp(group, groups[i].name) == 0)
			c->r->people[idx].roles |= groups[i].role;
	return 0;
}

int roster_load(store *st, const struct conf *cf, struct roster **out)
{
	struct sync_stats stats = {0};
	struct sync_ctx c = {.cf = cf, .st = st, .stats = &stats};
	struct roster *r;
	if (load_roster(&c) < 0 || store_members_each(st, load_member, &c) < 0) {
		roster_free(c.r);
		return -1;
	}
	r = c.r;
	for (size_t i = 0; i < r->n; i++)
		if ((r->people[i].roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) == (ROSTER_JUNIOR | ROSTER_SENIOR))
			r->people[i].roles &= ~(ROSTER_JUNIOR | ROSTER_SENIOR);
	resolve_managers(&c);
	free(c.touched);
	*out = r;
	return 0;
}
