/*
 * The standards report (programme phase 2): who is below the minimum
 * standard of each competence area, with counts by cohort, department and
 * location, from the levels stored by the last sync.
 */
#ifndef MENTORD_GAPS_H
#define MENTORD_GAPS_H

#include <stdio.h>

#include "conf.h"
#include "store.h"

enum gaps_format { GAPS_TABLE, GAPS_JSON, GAPS_CSV };

/* Write the report; 0, or -1 if the store could not be read (logged). */
int gaps_report(store *st, const struct conf *cf, enum gaps_format fmt, FILE *fp);

#endif
