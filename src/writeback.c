/*
 * Writeback. The wanted state is built as a set of entries, the current
 * managed subtree is read into the same shape, and a diff produces change
 * records: adds, value-level modifies and deletes, each with its undo. The
 * rules that keep admins' data safe live in the diff:
 *   - entries without our ownership marker are never modified or deleted;
 *   - containers (the OUs) are created when missing and otherwise left alone;
 *   - set-once attributes (start date, meetings held) are written only when
 *     absent, since other applications own them afterwards;
 *   - object classes are only ever added.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "writeback.h"

struct wb_attr {
	char *name;
	char **values; /* NULL-terminated */
	size_t n, cap;
};

struct wb_entry {
	char *dn, *cdn;
	struct wb_attr *attrs;
	size_t n_attrs, cap;
	int owned, container;
};

struct wb_set {
	struct wb_entry **entries;
	size_t n, cap;
	struct strmap *by_cdn;
	int ad;                 /* read from Active Directory: entries take the AD shape */
};

enum wb_op { WB_ADD, WB_MODIFY, WB_DELETE };

struct wb_change {
	enum wb_op op;
	char *dn;
	struct dir_mod *mods;
	size_t n_mods, cap;
	struct wb_change *undo;
};

struct wb_plan {
	struct wb_change **changes;
	size_t n, cap;
	struct wb_counts counts;
};

/* How the diff treats an attribute we manage. */
enum attr_kind { ATTR_SINGLE, ATTR_MULTI, ATTR_ADD_ONLY, ATTR_SET_ONCE };
enum attr_cmp { CMP_EXACT, CMP_NOCASE, CMP_DN };

static const struct managed_attr {
	const char *name;
	enum attr_kind kind;
	enum attr_cmp cmp;
} managed_attrs[] = {
	{"objectClass", ATTR_ADD_ONLY, CMP_NOCASE},
	{"member", ATTR_MULTI, CMP_DN},
	{"mentoringMentor", ATTR_SINGLE, CMP_DN},
	{"mentoringMentee", ATTR_SINGLE, CMP_DN},
	{"mentoringObjective", ATTR_MULTI, CMP_EXACT},
	{"mentoringStatus", ATTR_SINGLE, CMP_EXACT},
	{"mentoringScore", ATTR_SINGLE, CMP_EXACT},
	{"description", ATTR_SINGLE, CMP_EXACT},
	{"mentoringStarted", ATTR_SET_ONCE, CMP_EXACT},
	{"mentoringMeetingsHeld", ATTR_SET_ONCE, CMP_EXACT},
};

struct wb_set *wb_set_new(void)
{
	struct wb_set *set = xcalloc(1, sizeof(*set));
	set->by_cdn = strmap_new(64);
	return set;
}

/* Free one entry and its attributes. */
static void entry_free(struct wb_entry *e)
{
	for (size_t i = 0; i < e->n_attrs; i++) {
		for (size_t j = 0; j < e->attrs[i].n; j++)
			free(e->attrs[i].values[j]);
		free(e->attrs[i].values);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	free(e->cdn);
	free(e);
}

size_t wb_set_size(const struct wb_set *set)
{
	return set ? set->n : 0;
}

void wb_set_free(struct wb_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		entry_free(set->entries[i]);
	free(set->entries);
	strmap_free(set->by_cdn);
	free(set);
}

/* The entry with this canonical DN, or NULL. */
static struct wb_entry *set_find(const struct wb_set *set, const char *cdn)
{
	size_t idx;
	return strmap_get(set->by_cdn, cdn, &idx) == 0 ? set->entries[idx] : NULL;
}

struct wb_entry *wb_set_entry(struct wb_set *set, const char *dn)
{
	char *cdn = dir_dn_canonical(dn);
	struct wb_entry *e;
	if (!cdn)
		return NULL;
	if ((e = set_find(set, cdn))) {
		free(cdn);
		return e;
	}
	e = xcalloc(1, sizeof(*e));
	e->dn = xstrdup(dn);
	e->cdn = cdn;
	set->entries = xgrow(set->entries, &set->cap, set->n + 1, sizeof(*set->entries));
	strmap_put(set->by_cdn, cdn, set->n);
	set->entries[set->n++] = e;
	return e;
}

/* The attribute of the entry with this name (any case), or NULL. */
static struct wb_attr *entry_attr(const struct wb_entry *e, const char *name)
{
	for (size_t i = 0; i < e->n_attrs; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

void wb_entry_add(struct wb_entry *e, const char *attr, const char *value)
{
	struct wb_attr *a = entry_attr(e, attr);
	if (!a) {
		e->attrs = xgrow(e->attrs, &e->cap, e->n_attrs + 1, sizeof(*e->attrs));
		a = &e->attrs[e->n_attrs++];
		memset(a, 0, sizeof(*a));
		a->name = xstrdup(attr);
	}
	a->values = xgrow(a->values, &a->cap, a->n + 2, sizeof(*a->values));
	a->values[a->n++] = xstrdup(value);
	a->values[a->n] = NULL;
}

void wb_entry_set_owned(struct wb_entry *e, int owned)
{
	e->owned = owned;
}

void wb_entry_set_container(struct wb_entry *e, int container)
{
	e->container = container;
}

char *wb_pair_dn(const struct conf *cf, const char *mentor_uuid, const char *mentee_uuid)
{
	uint64_t h = fnv1a64(mentor_uuid, strlen(mentor_uuid), FNV64_INIT);
	h = fnv1a64("\n", 1, h);
	h = fnv1a64(mentee_uuid, strlen(mentee_uuid), h);
	return xasprintf("cn=pair-%016llx,ou=pairs,%s", (unsigned long long)h, cf->managed_ou);
}

/* Add a container OU with our marker to the wanted set. */
static int want_container(struct wb_set *want, const struct conf *cf, const char *dn, const char *what)
{
	char *type = NULL, *value = NULL;
	struct wb_entry *e;
	if (dir_dn_first_rdn(dn, &type, &value) < 0 || strcasecmp(type, "ou") != 0 ||
	    !(e = wb_set_entry(want, dn))) {
		log_err("writeback: %s is not usable as the managed OU (it must be an ou=... DN)", dn);
		free(type);
		free(value);
		return -1;
	}
	wb_entry_set_container(e, 1);
	wb_entry_add(e, "objectClass", "top");
	wb_entry_add(e, "objectClass", "organizationalUnit");
	wb_entry_add(e, "objectClass", "mentoringManaged");
	wb_entry_add(e, "ou", value);
	wb_entry_add(e, "description", what);
	wb_entry_add(e, "mentoringOwner", cf->owner);
	free(type);
	free(value);
	return 0;
}

/* Format a Unix time as LDAP GeneralizedTime (UTC). */
static void generalized_time(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y%m%d%H%M%SZ", &tm);
}

/* Add the group for one pair to the wanted set. */
static void want_pair(struct wb_set *want, const struct conf *cf, const struct wb_pair *p)
{
	char *dn = wb_pair_dn(cf, p->mentor_uuid, p->mentee_uuid), *desc, score[16], started[32];
	struct wb_entry *e = wb_set_entry(want, dn);
	const char *cn = dn + 3;
	char *rdn = xstrdup(cn);
	rdn[strcspn(rdn, ",")] = '\0';
	snprintf(score, sizeof(score), "%d", p->score);
	generalized_time(p->started, started);
	desc = xasprintf("%s mentors %s", p->mentor_name ? p->mentor_name : p->mentor_dn,
			 p->mentee_name ? p->mentee_name : p->mentee_dn);
	wb_entry_add(e, "objectClass", "top");
	wb_entry_add(e, "objectClass", "groupOfNames");
	wb_entry_add(e, "objectClass", "mentoringPair");
	wb_entry_add(e, "objectClass", "mentoringManaged");
	wb_entry_add(e, "cn", rdn);
	wb_entry_add(e, "description", desc);
	wb_entry_add(e, "member", p->mentor_dn);
	wb_entry_add(e, "member", p->mentee_dn);
	wb_entry_add(e, "mentoringMentor", p->mentor_dn);
	wb_entry_add(e, "mentoringMentee", p->mentee_dn);
	for (size_t i = 0; i < p->n_objectives; i++)
		wb_entry_add(e, "mentoringObjective", p->objectives[i]);
	wb_entry_add(e, "mentoringStatus", "active");
	wb_entry_add(e, "mentoringScore", score);
	wb_entry_add(e, "mentoringStarted", started);
	wb_entry_add(e, "mentoringMeetingsHeld", "0");
	wb_entry_add(e, "mentoringOwner", cf->owner);
	free(rdn);
	free(desc);
	free(dn);
}

/* Add an aggregate group (all mentors or all mentees) when it has members. */
static void want_aggregate(struct wb_set *want, const struct conf *cf, const char *cn,
			   const char *desc, const struct wb_pair *pairs, size_t n, int mentors)
{
	char *dn = xasprintf("cn=%s,ou=groups,%s", cn, cf->managed_ou);
	struct wb_set *members = wb_set_new();
	struct wb_entry *e;
	for (size_t i = 0; i < n; i++)
		wb_set_entry(members, mentors ? pairs[i].mentor_dn : pairs[i].mentee_dn);
	if (members->n > 0) {
		e = wb_set_entry(want, dn);
		wb_entry_add(e, "objectClass", "top");
		wb_entry_add(e, "objectClass", "groupOfNames");
		wb_entry_add(e, "objectClass", "mentoringManaged");
		wb_entry_add(e, "cn", cn);
		wb_entry_add(e, "description", desc);
		for (size_t i = 0; i < members->n; i++)
			wb_entry_add(e, "member", members->entries[i]->dn);
		wb_entry_add(e, "mentoringOwner", cf->owner);
	}
	wb_set_free(members);
	free(dn);
}

struct wb_set *wb_desired(const struct conf *cf, const struct wb_pair *pairs, size_t n)
{
	struct wb_set *want = wb_set_new();
	char *pairs_ou = xasprintf("ou=pairs,%s", cf->managed_ou);
	char *groups_ou = xasprintf("ou=groups,%s", cf->managed_ou);
	int rc = want_container(want, cf, cf->managed_ou, "Reverse mentoring, maintained by mentord");
	if (rc == 0)
		rc = want_container(want, cf, pairs_ou, "One group per active mentoring pair");
	if (rc == 0)
		rc = want_container(want, cf, groups_ou, "All active mentors and mentees");
	free(pairs_ou);
	free(groups_ou);
	if (rc < 0) {
		wb_set_free(want);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		want_pair(want, cf, &pairs[i]);
	want_aggregate(want, cf, "mentors", "Everyone mentoring now", pairs, n, 1);
	want_aggregate(want, cf, "mentees", "Everyone being mentored now", pairs, n, 0);
	return want;
}

/*
 * ---- the Active Directory shape ----
 * The same entries as for OpenLDAP, with what AD wants instead: groups are
 * `group` objects with a sAMAccountName (unique in the domain, at most 20
 * characters) and a groupType, and times are written as
 * YYYYMMDDHHMMSS.0Z. Pair and aggregate groups are global distribution
 * groups (groupType 2): they inform, they grant nothing, so they never
 * enlarge anyone's Kerberos token nor take part in access checks. The
 * auxiliary classes (mentoringPair, mentoringManaged) are given when an
 * entry is created and never modified afterwards (see diff_entry).
 */
#define AD_GROUP_TYPE "2"

/* "mp-" (pairs) or "mg-" (aggregates) and 16 hex digits of the DN: 19 characters, unique per entry. */
static char *ad_account_name(const struct wb_entry *e, int pair)
{
	uint64_t h = fnv1a64(e->cdn, strlen(e->cdn), FNV64_INIT);
	return xasprintf("%s-%016llx", pair ? "mp" : "mg", (unsigned long long)h);
}

/* A GeneralizedTime "YYYYMMDDHHMMSSZ" in the form AD takes ("YYYYMMDDHHMMSS.0Z"); new string. */
static char *ad_time(const char *t)
{
	size_t n = strlen(t);
	if (n == 15 && t[14] == 'Z')
		return xasprintf("%.14s.0Z", t);
	return xstrdup(t);
}

/* One wanted entry in its AD shape, added to out. */
static void ad_shape_entry(struct wb_set *out, const struct wb_entry *e)
{
	struct wb_entry *a = wb_set_entry(out, e->dn);
	const struct wb_attr *oc = entry_attr(e, "objectClass");
	int group = 0, pair = 0;
	char *v;
	a->owned = e->owned;
	a->container = e->container;
	for (size_t i = 0; oc && i < oc->n; i++) {
		group |= strcasecmp(oc->values[i], "groupOfNames") == 0;
		pair |= strcasecmp(oc->values[i], "mentoringPair") == 0;
	}
	for (size_t i = 0; i < e->n_attrs; i++)
		for (size_t j = 0; j < e->attrs[i].n; j++) {
			const char *name = e->attrs[i].name, *val = e->attrs[i].values[j];
			if (strcasecmp(name, "objectClass") == 0 && strcasecmp(val, "groupOfNames") == 0)
				val = "group";
			v = strcasecmp(name, "mentoringStarted") == 0 ? ad_time(val) : xstrdup(val);
			wb_entry_add(a, name, v);
			free(v);
		}
	if (!group)
		return;
	v = ad_account_name(a, pair);
	wb_entry_add(a, "sAMAccountName", v);
	wb_entry_add(a, "groupType", AD_GROUP_TYPE);
	free(v);
}

/* The wanted set in its AD shape (wb_set_free). */
static struct wb_set *ad_shape(const struct conf *cf, const struct wb_set *want)
{
	struct wb_set *out = wb_set_new();
	(void)cf;
	out->ad = 1;
	for (size_t i = 0; i < want->n; i++)
		ad_shape_entry(out, want->entries[i]);
	return out;
}

/* ---- the plan ---- */

static struct wb_change *change_new(enum wb_op op, const char *dn)
{
	struct wb_change *c = xcalloc(1, sizeof(*c));
	c->op = op;
	c->dn = xstrdup(dn);
	return c;
}

/* Append one attribute change with a copy of values[0..n). */
static void change_mod(struct wb_change *c, enum dir_mod_op op, const char *attr, char *const *values, size_t n)
{
	struct dir_mod *m;
	c->mods = xgrow(c->mods, &c->cap, c->n_mods + 1, sizeof(*c->mods));
	m = &c->mods[c->n_mods++];
	m->op = op;
	m->attr = xstrdup(attr);
	m->values = NULL;
	if (n == 0)
		return;
	m->values = xcalloc(n + 1, sizeof(*m->values));
	for (size_t i = 0; i < n; i++)
		m->values[i] = xstrdup(values[i]);
}

static void change_free(struct wb_change *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_mods; i++) {
		free((char *)c->mods[i].attr);
		dir_values_free(c->mods[i].values);
	}
	free(c->mods);
	free(c->dn);
	change_free(c->undo);
	free(c);
}

void wb_plan_free(struct wb_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		change_free(plan->changes[i]);
	free(plan->changes);
	free(plan);
}

static void plan_push(struct wb_plan *plan, struct wb_change *c)
{
	plan->changes = xgrow(plan->changes, &plan->cap, plan->n + 1, sizeof(*plan->changes));
	plan->changes[plan->n++] = c;
}

/* An add of every attribute of e (used for adds and for undoing deletes). */
static struct wb_change *change_add_entry(const struct wb_entry *e)
{
	struct wb_change *c = change_new(WB_ADD, e->dn);
	for (size_t i = 0; i < e->n_attrs; i++)
		change_mod(c, DIR_MOD_ADD, e->attrs[i].name, e->attrs[i].values, e->attrs[i].n);
	return c;
}

/* A value's comparison key under the attribute's rule (new string). */
static char *value_key(enum attr_cmp cmp, const char *v)
{
	char *k = cmp == CMP_DN ? dir_dn_canonical(v) : NULL;
	if (k)
		return k;
	k = xstrdup(v);
	return cmp == CMP_EXACT ? k : ascii_lower(k);
}

/* The comparison keys of an attribute's values, as a set. */
static struct strmap *attr_keys(const struct wb_attr *a, enum attr_cmp cmp)
{
	struct strmap *keys = strmap_new(a ? a->n : 0);
	for (size_t i = 0; a && i < a->n; i++) {
		char *k = value_key(cmp, a->values[i]);
		strmap_put(keys, k, i);
		free(k);
	}
	return keys;
}

/* The values of from that to lacks, as a NULL-terminated array of borrowed pointers. */
static char **values_missing(const struct wb_attr *from, const struct wb_attr *to, enum attr_cmp cmp, size_t *n)
{
	char **out = xcalloc((from ? from->n : 0) + 1, sizeof(*out));
	struct strmap *have = attr_keys(to, cmp);
	size_t idx;
	*n = 0;
	for (size_t i = 0; from && i < from->n; i++) {
		char *k = value_key(cmp, from->values[i]);
		if (strmap_get(have, k, &idx) < 0)
			out[(*n)++] = from->values[i];
		free(k);
	}
	strmap_free(have);
	return out;
}

/* Same set of values under cmp. */
static int attr_same(const struct wb_attr *a, const struct wb_attr *b, enum attr_cmp cmp)
{
	size_t n1, n2;
	char **x = values_missing(a, b, cmp, &n1), **y = values_missing(b, a, cmp, &n2);
	free(x);
	free(y);
	return n1 == 0 && n2 == 0;
}

/* Plan the change of one managed attribute, with its undo. */
static void diff_attr(const struct managed_attr *ma, const struct wb_attr *w, const struct wb_attr *h,
		      struct wb_change *c)
{
	size_t n_add, n_del;
	char **add, **del;
	if (!w && !h)
		return;
	if (ma->kind == ATTR_SET_ONCE) {
		if (w && !h) {
			change_mod(c, DIR_MOD_ADD, ma->name, w->values, w->n);
			change_mod(c->undo, DIR_MOD_DELETE, ma->name, NULL, 0);
		}
		return;
	}
	if (ma->kind == ATTR_SINGLE || !w) {
		if (ma->kind == ATTR_ADD_ONLY || (w && h && attr_same(w, h, ma->cmp)))
			return;
		if (w)
			change_mod(c, DIR_MOD_REPLACE, ma->name, w->values, w->n);
		else
			change_mod(c, DIR_MOD_DELETE, ma->name, NULL, 0);
		if (h)
			change_mod(c->undo, DIR_MOD_REPLACE, ma->name, h->values, h->n);
		else
			change_mod(c->undo, DIR_MOD_DELETE, ma->name, NULL, 0);
		return;
	}
	add = values_missing(w, h, ma->cmp, &n_add);
	del = values_missing(h, w, ma->cmp, &n_del);
	if (ma->kind == ATTR_ADD_ONLY)
		n_del = 0;
	if (n_add + n_del > 0 && n_del == (h ? h->n : 0) && ma->kind == ATTR_MULTI && h) {
		/* every old value goes: one replace keeps a MUST attribute (member) valid throughout */
		change_mod(c, DIR_MOD_REPLACE, ma->name, w->values, w->n);
		change_mod(c->undo, DIR_MOD_REPLACE, ma->name, h->values, h->n);
	} else {
		if (n_add) {
			change_mod(c, DIR_MOD_ADD, ma->name, add, n_add);
			change_mod(c->undo, DIR_MOD_DELETE, ma->name, add, n_add);
		}
		if (n_del) {
			change_mod(c, DIR_MOD_DELETE, ma->name, del, n_del);
			change_mod(c->undo, DIR_MOD_ADD, ma->name, del, n_del);
		}
	}
	free(add);
	free(del);
}

/* Plan the modify that turns h into w, if anything differs. On AD, object classes are given only at create. */
static void diff_entry(struct wb_plan *plan, const struct wb_entry *w, const struct wb_entry *h, int ad)
{
	struct wb_change *c = change_new(WB_MODIFY, w->dn);
	c->undo = change_new(WB_MODIFY, h->dn);
	for (size_t i = ad ? 1 : 0; i < ARRAY_LEN(managed_attrs); i++)
		diff_attr(&managed_attrs[i], entry_attr(w, managed_attrs[i].name),
			  entry_attr(h, managed_attrs[i].name), c);
	if (c->n_mods == 0) {
		change_free(c);
		return;
	}
	/* undo a modify by applying the inverse changes in reverse order */
	for (size_t i = 0; i < c->undo->n_mods / 2; i++) {
		struct dir_mod t = c->undo->mods[i];
		c->undo->mods[i] = c->undo->mods[c->undo->n_mods - 1 - i];
		c->undo->mods[c->undo->n_mods - 1 - i] = t;
	}
	plan_push(plan, c);
	plan->counts.modifies++;
}

/* Non-zero if cdn is directly below parent_cdn. */
static int is_child_of(const char *cdn, const char *parent_cdn)
{
	size_t n = strlen(cdn), p = strlen(parent_cdn);
	return n > p + 1 && cdn[n - p - 1] == ',' && strcmp(cdn + n - p, parent_cdn) == 0 &&
	       memchr(cdn, ',', n - p - 1) == NULL;
}

/* Plan deletes of our own entries that are no longer wanted; counts pair groups. */
static void diff_deletes(struct wb_plan *plan, const struct conf *cf, const struct wb_set *want,
			 const struct wb_set *have, long *pairs_had, long *pairs_gone)
{
	char *p = xasprintf("ou=pairs,%s", cf->managed_ou), *g = xasprintf("ou=groups,%s", cf->managed_ou);
	char *pc = dir_dn_canonical(p), *gc = dir_dn_canonical(g);
	for (size_t i = 0; pc && gc && i < have->n; i++) {
		const struct wb_entry *h = have->entries[i];
		int is_pair = is_child_of(h->cdn, pc);
		if (!h->owned || (!is_pair && !is_child_of(h->cdn, gc)))
			continue;
		*pairs_had += is_pair;
		if (set_find(want, h->cdn))
			continue;
		struct wb_change *c = change_new(WB_DELETE, h->dn);
		c->undo = change_add_entry(h);
		plan_push(plan, c);
		plan->counts.deletes++;
		*pairs_gone += is_pair;
	}
	free(p);
	free(g);
	free(pc);
	free(gc);
}

int wb_diff(const struct conf *cf, const struct wb_set *want_in, const struct wb_set *have,
	    struct wb_plan **out)
{
	struct wb_plan *plan = xcalloc(1, sizeof(*plan));
	struct wb_set *ad_want = have->ad ? ad_shape(cf, want_in) : NULL;
	const struct wb_set *want = ad_want ? ad_want : want_in;
	long had = 0, gone = 0;
	for (size_t i = 0; i < want->n; i++) {
		const struct wb_entry *w = want->entries[i], *h = set_find(have, w->cdn);
		if (!h) {
			struct wb_change *c = change_add_entry(w);
			c->undo = change_new(WB_DELETE, w->dn);
			plan_push(plan, c);
			plan->counts.adds++;
		} else if (!h->owned && !w->container) {
			log_entry(LOG_ERR, w->dn, "diff", "%s exists but is not managed by mentord "
				  "(no mentoringOwner: %s); left alone", w->dn, cf->owner);
			plan->counts.conflicts++;
		} else if (!w->container) {
			diff_entry(plan, w, h, have->ad);
		}
	}
	diff_deletes(plan, cf, want, have, &had, &gone);
	wb_set_free(ad_want);
	*out = plan;
	if (had >= 10 && gone * 100 > (long)cf->max_delete_percent * had) {
		log_event(LOG_ERR, LOG_MSGID_DELETE_LIMIT, "writeback: refusing to delete %ld of %ld pair "
			  "groups (more than max_delete_percent = %d%%)", gone, had, cf->max_delete_percent);
		return -1;
	}
	return 0;
}

void wb_plan_counts(const struct wb_plan *plan, struct wb_counts *counts)
{
	*counts = plan->counts;
}

void wb_plan_ldif(const struct wb_plan *plan, FILE *fp)
{
	static const char *const types[] = {"add", "modify", "delete"};
	for (size_t i = 0; i < plan->n; i++) {
		const struct wb_change *c = plan->changes[i];
		dir_ldif_change(fp, c->dn, types[c->op], c->mods, c->n_mods);
	}
}

/* ---- reading and applying ---- */

struct read_ctx {
	struct wb_set *set;
	struct wb_entry *e;
	const char *owner;
};

/* Copy one attribute of a read entry. */
static void read_attr(const char *attr, char **values, void *arg)
{
	struct read_ctx *rc = arg;
	for (size_t i = 0; values[i]; i++)
		wb_entry_add(rc->e, attr, values[i]);
	if (strcasecmp(attr, "mentoringOwner") == 0)
		for (size_t i = 0; values[i]; i++)
			if (strcmp(values[i], rc->owner) == 0)
				rc->e->owned = 1;
}

/* Entry callback for the managed subtree. */
static int read_entry(const dir_entry *de, void *arg)
{
	struct read_ctx *rc = arg;
	rc->e = wb_set_entry(rc->set, dir_entry_dn(de));
	if (!rc->e) {
		log_err("writeback: %s: unparseable DN in the managed subtree", dir_entry_dn(de));
		return -1;
	}
	dir_entry_each(de, read_attr, rc);
	return 0;
}

/*
 * What is read of each managed entry on AD: "*" there brings binary values
 * (objectGUID, objectSid) and attributes nobody may write back, and a large
 * member attribute comes in ranges that dir_entry_values completes.
 */
static const char *const ad_read_attrs[] = {
	"objectClass", "cn", "ou", "sAMAccountName", "groupType", "member", "mentoringMentor", "mentoringMentee",
	"mentoringObjective", "mentoringStatus", "mentoringScore", "description", "mentoringStarted",
	"mentoringMeetingsHeld", "mentoringOwner", NULL,
};

/* Entry callback for the managed subtree on AD: the attributes above, each complete. */
static int read_entry_ad(const dir_entry *de, void *arg)
{
	struct read_ctx *rc = arg;
	rc->e = wb_set_entry(rc->set, dir_entry_dn(de));
	if (!rc->e) {
		log_err("writeback: %s: unparseable DN in the managed subtree", dir_entry_dn(de));
		return -1;
	}
	for (size_t i = 0; ad_read_attrs[i]; i++) {
		char **values = dir_entry_values(de, ad_read_attrs[i]);
		if (values)
			read_attr(ad_read_attrs[i], values, rc);
		dir_values_free(values);
	}
	return 0;
}

struct wb_set *wb_read(dir *d, const struct conf *cf)
{
	const char *attrs[] = {"*", NULL};
	struct read_ctx rc = {wb_set_new(), NULL, cf->owner};
	int ad = dir_is_ad(d);
	int r = dir_search(d, cf->managed_ou, DIR_SCOPE_SUB, "(objectClass=*)", ad ? ad_read_attrs : attrs,
			   ad ? read_entry_ad : read_entry, &rc);
	rc.set->ad = ad;
	if (r != 0 && r != DIR_NO_SUCH_OBJECT) {
		wb_set_free(rc.set);
		return NULL;
	}
	return rc.set;
}

/* Apply one change. */
static int change_apply(dir *d, const struct wb_change *c)
{
	switch (c->op) {
	case WB_ADD: return dir_add(d, c->dn, c->mods, c->n_mods) == 0 ? 0 : -1;
	case WB_MODIFY: return dir_modify(d, c->dn, c->mods, c->n_mods);
	default: return dir_delete(d, c->dn);
	}
}

int wb_apply(dir *d, const struct wb_plan *plan, const struct progress *progress)
{
	size_t done = 0, undone = 0;
	int stop = 0;
	while (done < plan->n && !(stop = progress_report(progress, WB_PHASE, (long)done, (long)plan->n)) &&
	       change_apply(d, plan->changes[done]) == 0)
		done++;
	if (done == plan->n)
		return 0;
	if (stop)
		log_notice("writeback: asked to stop after %zu of %zu changes; undoing them", done, plan->n);
	else
		log_err("writeback: change %zu of %zu failed; undoing the %zu applied", done + 1, plan->n, done);
	for (size_t i = done; i-- > 0;)
		undone += change_apply(d, plan->changes[i]->undo) == 0;
	if (undone != done)
		log_err("writeback: could undo only %zu of %zu changes; the next cycle repairs the rest",
			undone, done);
	return stop ? -2 : -1;
}
