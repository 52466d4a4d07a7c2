/*
 * A CSV reader (RFC 4180): comma-separated fields, double quotes around a
 * field that holds commas, quotes or line breaks, "" for a quote inside.
 * CRLF or LF line ends; a UTF-8 byte order mark at the start is skipped.
 */
#ifndef MENTORD_CSV_H
#define MENTORD_CSV_H

#include <stddef.h>
#include <stdio.h>

struct csv;

/* Read records from fp (not closed by csv_close). */
struct csv *csv_open(FILE *fp);
void csv_close(struct csv *c);

/*
 * Read the next record. Returns 1 with fields/n set (owned by the reader,
 * valid until the next call) and *line the line the record starts on; 0 at
 * the end; -1 for a record with broken quoting (*error says what; the reader
 * has skipped to the next line, so reading may go on).
 */
int csv_next(struct csv *c, char ***fields, size_t *n, long *line, const char **error);

#endif
