/*
 * The standards report. One pass over the stored levels counts, per area,
 * the people assessed and those below standard, and per area the latter by
 * cohort, department and location; the people below standard are listed in
 * JSON and CSV.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gaps.h"
#include "output.h"
#include "util.h"

/* Counts of one grouping (e.g. by department) for one area. */
struct tally {
	struct strmap *index;   /* group name -> slot */
	char **names;
	long *below;
	size_t n, cap;
};

struct area_gaps {
	long assessed, below;
	struct tally by[3];     /* cohort, department, location */
};

struct gaps_ctx {
	const struct conf *cf;
	struct area_gaps *areas;
	enum gaps_format fmt;
	FILE *fp;
	long listed;
};

static const char *const group_names[] = {"cohort", "department", "location"};

/* Count one more person below standard in a group. */
static void tally_add(struct tally *t, const char *name)
{
	size_t slot;
	name = name && *name ? name : "(unknown)";
	if (!t->index)
		t->index = strmap_new(16);
	if (strmap_get(t->index, name, &slot) < 0) {
		t->names = xgrow(t->names, &t->cap, t->n + 1, sizeof(*t->names));
		t->below = xrealloc(t->below, t->cap * sizeof(*t->below));
		t->names[t->n] = xstrdup(name);
		t->below[t->n] = 0;
		strmap_put(t->index, name, slot = t->n++);
	}
	t->below[slot]++;
}

/* Order group slots by people below standard, most first, then by name. */
static const struct tally *sort_tally;
static int cmp_slot(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (sort_tally->below[x] != sort_tally->below[y])
		return sort_tally->below[x] > sort_tally->below[y] ? -1 : 1;
	return strcmp(sort_tally->names[x], sort_tally->names[y]);
}

/* The slots of a tally in report order (caller frees). */
static size_t *tally_order(const struct tally *t)
{
	size_t *order = xcalloc(t->n ? t->n : 1, sizeof(*order));
	for (size_t i = 0; i < t->n; i++)
		order[i] = i;
	sort_tally = t;
	qsort(order, t->n, sizeof(*order), cmp_slot);
	return order;
}

static void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->below);
	strmap_free(t->index);
}

/* One stored level: count it, and list the person when below standard. */
static int on_level(const struct store_level *lv, void *arg)
{
	struct gaps_ctx *g = arg;
	int a = conf_area_index(g->cf, lv->area);
	const char *groups[3] = {lv->cohort, lv->department, lv->location};
	char level[16], standard[16];
	if (a < 0)
		return 0; /* an area the model no longer has */
	g->areas[a].assessed++;
	if (lv->level >= g->cf->areas[a].standard)
		return 0;
	g->areas[a].below++;
	for (int k = 0; k < 3; k++)
		tally_add(&g->areas[a].by[k], groups[k]);
	if (g->fmt == GAPS_CSV) {
		snprintf(level, sizeof(level), "%d", lv->level);
		snprintf(standard, sizeof(standard), "%d", g->cf->areas[a].standard);
		const char *f[] = {lv->area, standard, level, lv->name, lv->mail, lv->department, lv->location, lv->cohort};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			out_csv_field(g->fp, f[i], i + 1 == ARRAY_LEN(f));
	}
	return 0;
}

/* The table on a terminal: one line per area, then the groups with people below standard. */
static void print_table(const struct gaps_ctx *g)
{
	const struct conf *cf = g->cf;
	fprintf(g->fp, "%-14s %-34s %4s %9s %7s %5s\n", "AREA", "NAME", "STD", "ASSESSED", "BELOW", "%");
	for (size_t a = 0; a < cf->n_areas; a++) {
		const struct area_gaps *ag = &g->areas[a];
		fprintf(g->fp, "%-14.14s %-34.34s %4d %9ld %7ld %4ld%%\n", cf->areas[a].id, cf->areas[a].name,
			cf->areas[a].standard, ag->assessed, ag->below, ag->assessed ? ag->below * 100 / ag->assessed : 0);
	}
	for (int k = 0; k < 3; k++) {
		fprintf(g->fp, "\nbelow standard by %s:\n", group_names[k]);
		for (size_t a = 0; a < cf->n_areas; a++) {
			const struct tally *t = &g->areas[a].by[k];
			size_t *order;
			if (t->n == 0)
				continue;
			order = tally_order(t);
			fprintf(g->fp, "  %-14.14s", cf->areas[a].id);
			for (size_t i = 0; i < t->n; i++)
				fprintf(g->fp, "%s%s %ld", i ? ", " : " ", t->names[order[i]], t->below[order[i]]);
			fputc('\n', g->fp);
			free(order);
		}
	}
}

/* The JSON document: per area, the counts and the groups. */
static void print_json(const struct gaps_ctx *g)
{
	const struct conf *cf = g->cf;
	fputs("{\"areas\": [", g->fp);
	for (size_t a = 0; a < cf->n_areas; a++) {
		const struct area_gaps *ag = &g->areas[a];
		fprintf(g->fp, "%s\n  {\"id\": ", a ? "," : "");
		out_json_string(g->fp, cf->areas[a].id);
		fputs(", \"name\": ", g->fp);
		out_json_string(g->fp, cf->areas[a].name);
		fprintf(g->fp, ", \"standard\": %d, \"assessed\": %ld, \"below\": %ld", cf->areas[a].standard,
			ag->assessed, ag->below);
		for (int k = 0; k < 3; k++) {
			size_t *order = tally_order(&ag->by[k]);
			fprintf(g->fp, ", \"by_%s\": {", group_names[k]);
			for (size_t i = 0; i < ag->by[k].n; i++) {
				fputs(i ? ", " : "", g->fp);
				out_json_string(g->fp, ag->by[k].names[order[i]]);
				fprintf(g->fp, ": %ld", ag->by[k].below[order[i]]);
			}
			fputc('}', g->fp);
			free(order);
		}
		fputc('}', g->fp);
	}
	fputs("\n]}\n", g->fp);
}

int gaps_report(store *st, const struct conf *cf, enum gaps_format fmt, FILE *fp)
{
	struct gaps_ctx g = {cf, xcalloc(cf->n_areas, sizeof(struct area_gaps)), fmt, fp, 0};
	int rc;
	if (fmt == GAPS_CSV)
		fputs("area,standard,level,name,mail,department,location,cohort\n", fp);
	rc = store_levels_each(st, on_level, &g);
	if (rc == 0 && fmt == GAPS_TABLE)
		print_table(&g);
	else if (rc == 0 && fmt == GAPS_JSON)
		print_json(&g);
	for (size_t a = 0; a < cf->n_areas; a++)
		for (int k = 0; k < 3; k++)
			tally_free(&g.areas[a].by[k]);
	free(g.areas);
	return rc;
}
