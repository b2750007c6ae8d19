/* Parsing JSON read back from the archive: out of memory told apart from
 * damage (json.h). */
#include "util/json.h"
#include "util/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t watch_once = PTHREAD_ONCE_INIT;
static json_malloc_t prev_malloc;
static json_free_t prev_free;
static __thread unsigned long failures;

static void *watch_malloc(size_t n)
{
	void *p = prev_malloc(n);
	if (!p)
		failures++;
	return p;
}

static void install(void)
{
	json_get_alloc_funcs(&prev_malloc, &prev_free);
	if (!prev_malloc || !prev_free) {
		prev_malloc = malloc;
		prev_free = free;
	}
	json_set_alloc_funcs(watch_malloc, prev_free);
}

void cv__json_watch_install(void)
{
	pthread_once(&watch_once, install);
}

unsigned long cv__json_failures(void)
{
	return failures;
}

int cv__json_oom(const json_error_t *je)
{
	/* jansson fills `text` for every parse error; an empty one is its lexer
	 * failing to allocate before any text was read */
	return json_error_code(je) == json_error_out_of_memory || !je->text[0];
}

static json_t *load(const void *text, size_t len, size_t flags, json_error_t *je)
{
	memset(je, 0, sizeof *je);
	return len == (size_t)-1 ? json_loads(text, flags, je) : json_loadb(text, len, flags, je);
}

json_t *cv__json_load_checked(const void *text, size_t len, size_t flags, json_error_t *je, int *oom)
{
	json_error_t again;
	*oom = 0;
	json_t *o = load(text, len, flags, je);
	if (o)
		return o;
	if (cv__json_oom(je)) {
		*oom = 1;
		return NULL;
	}
	/* jansson's lexer reports some failed allocations as an "invalid
	 * token". Text that does not parse fails again at the same place while
	 * memory is there (the probe); a failed allocation does not. */
	if ((o = load(text, len, flags, &again)) != NULL)
		return o;
	void *probe = malloc((len == (size_t)-1 ? strlen(text) : len) + 65536);
	*oom = !probe || cv__json_oom(&again) || again.position != je->position || strcmp(again.text, je->text);
	free(probe);
	return NULL;
}

int cv__json_parse(json_t **out, const void *text, size_t len, size_t flags, const char *what)
{
	json_error_t je;
	int oom = 0;
	*out = NULL;
	if (!text)
		return cv__err(CV_EDAMAGED, "%s is missing", what);
	if ((*out = cv__json_load_checked(text, len, flags, &je, &oom)) != NULL)
		return 0;
	if (oom)
		return cv__oom();
	return cv__err(CV_EDAMAGED, "%s is not valid JSON (line %d: %s)", what, je.line, je.text);
}

char *cv__json_dumps(const json_t *o, size_t flags)
{
	unsigned long before = cv__json_failures();
	char *s = json_dumps(o, flags);
	if (s && cv__json_failures() != before) {
		explicit_bzero(s, strlen(s));
		free(s);
		s = NULL;
	}
	return s;
}
