/* External content in an office document: what LibreOffice would have to
 * fetch to show the document (a linked image or object, an included text,
 * a DDE link, an attached template, an ODF section or image by URL). Such
 * a document is refused before conversion: offline, the copy would lack
 * that content without saying so, and a link is also a way to signal to
 * its author that the file was opened. Hyperlinks stay (they are text). */
#include "docparse.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX (16u << 20) /* bytes read of one XML part */
#define TOTAL_MAX (128u << 20)

/* A DOCX relationship with TargetMode="External" that is not a hyperlink. */
static int docx_rels_external(const char *x)
{
	for (const char *r = strstr(x, "<Relationship "); r; r = strstr(r + 1, "<Relationship ")) {
		const char *end = strchr(r, '>');
		if (!end)
			return 0;
		const char *mode = strstr(r, "TargetMode=\"External\"");
		if (!mode || mode > end)
			continue;
		const char *type = strstr(r, "Type=\"");
		const char *hl = type && type < end ? strstr(type, "/hyperlink\"") : NULL;
		if (!hl || hl > end)
			return 1;
	}
	return 0;
}

/* Fields that pull content in from elsewhere. */
static int docx_fields_external(const char *x)
{
	static const char *const fields[] = { "INCLUDETEXT", "INCLUDEPICTURE", "DDEAUTO", " DDE ", "LINK Excel", NULL };
	for (size_t i = 0; fields[i]; i++)
		if (strstr(x, fields[i]))
			return 1;
	return 0;
}

/* An ODF xlink:href to something outside the package, on anything but a
 * hyperlink (text:a, draw:a). */
static int odf_external(const char *x)
{
	for (const char *h = strstr(x, "xlink:href=\""); h; h = strstr(h + 1, "xlink:href=\"")) {
		const char *v = h + 12;
		const char *lt = h;
		while (lt > x && *lt != '<')
			lt--;
		if (!strncmp(lt, "<text:a ", 8) || !strncmp(lt, "<draw:a ", 8))
			continue;
		if (*v == '#' || !strncmp(v, "Pictures/", 9) || !strncmp(v, "./", 2) || !strncmp(v, "ObjectReplacements/", 19) ||
			!strncmp(v, "Object ", 7))
			continue;
		return 1;
	}
	return 0;
}

static int part_external(const char *name, const char *x)
{
	size_t n = strlen(name);
	if (n > 5 && !strcmp(name + n - 5, ".rels"))
		return docx_rels_external(x);
	if (!strncmp(name, "word/", 5) && n > 4 && !strcmp(name + n - 4, ".xml"))
		return docx_fields_external(x);
	if (!strcmp(name, "content.xml") || !strcmp(name, "styles.xml"))
		return odf_external(x);
	return 0;
}

int dp_office_external(const unsigned char *d, size_t len)
{
	struct archive *a = archive_read_new();
	if (!a)
		dp_oom();
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, d, len) != ARCHIVE_OK) {
		archive_read_free(a);
		dp_fail(E_MALFORMED, "the office document is not a readable zip archive");
	}
	struct archive_entry *e;
	char *buf = dp_xmalloc(ENTRY_MAX + 1);
	size_t total = 0;
	int found = 0, r;
	while (!found && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!name || !(strstr(name, ".rels") || !strncmp(name, "word/", 5) || !strcmp(name, "content.xml") ||
			!strcmp(name, "styles.xml")))
			continue;
		size_t got = 0;
		la_ssize_t k;
		while (got < ENTRY_MAX && (k = archive_read_data(a, buf + got, ENTRY_MAX - got)) > 0)
			got += (size_t)k;
		total += got;
		if (got >= ENTRY_MAX || total > TOTAL_MAX) {
			free(buf);
			archive_read_free(a);
			dp_fail(E_LIMIT, "a part of the office document is larger than allowed");
		}
		buf[got] = '\0';
		found = part_external(name, buf);
	}
	free(buf);
	archive_read_free(a);
	return found;
}
