/* cmdb-schema-private.h: helpers shared by the schema, form and command
 * code (not installed). */
#pragma once

#include "cmdbuilder.h"
#include "schema/cmdb-expression-private.h"

G_BEGIN_DECLS

/* (transfer full): a problem made from an error whose message starts with
 * "path:line:column: " (YAML and cache errors), located there. */
CmdbProblem *cmdb_schema_problem_from_error (const GError *error, const char *fallback_path,
                                             const char *subject);

/* (transfer full): the metadata at @node as text: null is "", a sequence
 * is joined with ", ", a mapping is written as YAML, a scalar as itself. */
char *cmdb_metadata_to_text (const CmdbYamlNode *node);

/* (transfer full) (element-type utf8): the strings of a sequence node, or
 * the scalar as a one-item list; empty for NULL or a mapping. */
GPtrArray *cmdb_metadata_to_strings (const CmdbYamlNode *node);

/* Fills @template's {name} fields from the mapping @map (nullable). A
 * {value} field takes @whole_text. A field the metadata lacks gives "-",
 * never an error; {{ and }} are literal braces. (transfer full) */
char *cmdb_fill_template (const char *template_text, const CmdbYamlNode *map,
                          const char *whole_text);

/* Levenshtein distance, for "did you mean" suggestions. */
guint cmdb_edit_distance (const char *a, const char *b);

/* (transfer full): @value as Python's repr writes a float: the shortest
 * text that reads back the same, scientific below 1e-4 and from 1e16 on,
 * with at least two exponent digits (1e-05, 0.0001, 5.0). */
char *cmdb_format_double (double value);
/* (transfer full): a JSON scalar as text: ints plain, floats as above,
 * booleans true/false, strings as they are, null as "". Lists and maps as
 * JSON. */
char *cmdb_format_scalar (JsonNode *node);

G_END_DECLS
