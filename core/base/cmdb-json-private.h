/* cmdb-json-private.h: the one way JSON from outside is parsed (not
 * installed).
 *
 * json-glib's parser recurses once per nesting level and so does freeing
 * the tree: a request body of 100,000 '[' overflows the stack. Every JSON
 * text that comes from a client or from disk (request bodies, page state,
 * run records) goes through cmdb_json_parse(), which refuses nesting deeper
 * than CMDB_JSON_MAX_DEPTH before json-glib sees a byte. */
#pragma once

#include "base/cmdb-private-export.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Far above anything the program writes (page state nests about 6 deep). */
#define CMDB_JSON_MAX_DEPTH 64

/* FALSE with @error (JSON_PARSER_ERROR, "line L, column C: ...") when
 * arrays and objects in @text (@length bytes, or NUL-terminated when
 * negative) nest deeper than @max_depth. Brackets inside strings do not
 * count. Linear, no allocation. */
gboolean cmdb_json_check_depth (const char *text, gssize length, guint max_depth, GError **error);

/* (transfer full) (nullable): @text parsed, after cmdb_json_check_depth()
 * with CMDB_JSON_MAX_DEPTH; NULL with @error when it is too deep or not
 * JSON. */
#define cmdb_json_parse _cmdb_json_parse
CMDB_PRIVATE_EXPORT
JsonNode *cmdb_json_parse (const char *text, gssize length, GError **error);

/* Appends @text (UTF-8) to @out as a JSON string literal, quotes included,
 * that reads back as @text; without building a tree, so a large text (a
 * rendered page in an answer) costs one pass. */
#define cmdb_json_append_string _cmdb_json_append_string
CMDB_PRIVATE_EXPORT
void cmdb_json_append_string (GString *out, const char *text);

/* Whether @a and @b (nullable) hold the same JSON, member order aside: the
 * same node and value types throughout (unlike json_node_equal(), the
 * integer 4 and the double 4.0 differ, as their texts do). Lets a caller
 * compare a state with the one a cached answer was made for without
 * serialising either. */
#define cmdb_json_node_identical _cmdb_json_node_identical
CMDB_PRIVATE_EXPORT
gboolean cmdb_json_node_identical (JsonNode *a, JsonNode *b);

/* The same for two objects. */
#define cmdb_json_object_identical _cmdb_json_object_identical
CMDB_PRIVATE_EXPORT
gboolean cmdb_json_object_identical (JsonObject *a, JsonObject *b);

G_END_DECLS
