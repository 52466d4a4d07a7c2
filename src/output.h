/*
 * Machine-readable output shared by the reports: JSON strings and CSV
 * fields, quoted as their standards require (RFC 8259, RFC 4180).
 */
#ifndef MENTORD_OUTPUT_H
#define MENTORD_OUTPUT_H

#include <stdio.h>

/* Print s as a JSON string literal, or null when s is NULL. */
void out_json_string(FILE *fp, const char *s);
/* Print s (NULL: empty) as one CSV field, then a comma, or a newline when last. */
void out_csv_field(FILE *fp, const char *s, int last);

#endif
