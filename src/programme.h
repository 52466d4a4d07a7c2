/*
 * The matching programme: turns the roster and what the store holds (avoid
 * lists, HR's pins and forbids, the pair history) into the engine's input
 * under the configured rules. The daemon's cycle and mentorctl build the
 * input the same way, so what `mentorctl explain` says is what a cycle did.
 */
#ifndef MENTORD_PROGRAMME_H
#define MENTORD_PROGRAMME_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "match.h"
#include "store.h"
#include "sync.h"

/* The engine's input and everything it points into; release with programme_clear. */
struct programme {
	struct match_input in;
	struct match_rules rules;
	struct match_person *people;  /* one per roster person, same index */
	size_t *juniors, *seniors;    /* the eligible mentors and mentees */
	size_t *current;              /* per person: their current mentor, or MATCH_NONE */
	struct match_pin *current_pairs; /* the pairs in force by (senior, junior), for several mentors */
	size_t (*current_at)[2];      /* per pair in force (as given): its mentor and mentee,
				       * or MATCH_NONE twice if either left the roster */
	size_t *avoid;                /* all avoid lists; people[i].avoid points into it */
	struct match_ban *bans;
	struct match_pin *pins;
	unsigned char *role;          /* per person: 1 mentor, 2 mentee, 0 neither */
	const struct roster *roster;
};

/*
 * Build the input for roster r: mentors are juniors (also trained when
 * participants.trained_mentors is set), mentees are seniors who have not
 * opted out (capacity 0); members of participants.excluded take no part.
 * current[n_current] are the pairs in force (may be empty). Bans are the
 * forbidden pairs and, with matching.cooldown_days, the pairs that ended
 * since now minus that many days. With log_notes, unknown locations (once
 * each) and avoid-list entries naming nobody are logged. 0, or -1 if the
 * store could not be read (logged).
 */
int programme_build(const struct conf *cf, store *st, const struct roster *r, const struct store_pair *current,
		    size_t n_current, time_t now, int log_notes, struct programme *pg);
void programme_clear(struct programme *pg);

/* Whether roster person i is an eligible mentor (1), mentee (2) or neither (0). */
int programme_role(const struct programme *pg, size_t i);

/* Log each pin the result pairs[n] does not keep, with the reason. */
void programme_report_pins(const struct programme *pg, const struct match_pair *pairs, size_t n);

/*
 * The stored proposals (matching.publish = "manual") as pairs of roster r,
 * in a new array (*out, caller frees); a proposal naming someone no longer
 * on r is left out, with a warning when log_skipped. 0; -2 when no cycle
 * stored proposals; -1 if the store could not be read.
 */
int programme_proposals(store *st, const struct roster *r, int log_skipped, struct match_pair **out, size_t *n);

#endif
