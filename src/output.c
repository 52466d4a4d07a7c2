/*
 * JSON and CSV quoting for the reports.
 */
#include "config.h"

#include <string.h>

#include "output.h"

void out_json_string(FILE *fp, const char *s)
{
	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

void out_csv_field(FILE *fp, const char *s, int last)
{
	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', fp);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else {
		fputs(s, fp);
	}
	fputc(last ? '\n' : ',', fp);
}
