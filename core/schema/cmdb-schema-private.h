/* cmdb-schema-private.h: helpers shared by the schema, form and command
 * code (not installed). */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"
#include "schema/cmdb-expression-private.h"

G_BEGIN_DECLS

/* (transfer full): a problem made from an error whose message starts with
 * "path:line:column: " (YAML and cache errors), located there. */
#define cmdb_schema_problem_from_error _cmdb_schema_problem_from_error
CMDB_PRIVATE_EXPORT
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
#define cmdb_edit_distance _cmdb_edit_distance
CMDB_PRIVATE_EXPORT
guint cmdb_edit_distance (const char *a, const char *b);

/* (transfer full): @value as Python's repr writes a float: the shortest
 * text that reads back the same, scientific below 1e-4 and from 1e16 on,
 * with at least two exponent digits (1e-05, 0.0001, 5.0). */
char *cmdb_format_double (double value);
/* (transfer full): a JSON scalar as text: ints plain, floats as above,
 * booleans true/false, strings as they are, null as "". Lists and maps as
 * JSON. */
char *cmdb_format_scalar (JsonNode *node);

/* ---- declarative rules (cmdb-form-rules.c; docs/schema-format.md) ---- */

/* The element that names the experiment has this role. */
#define CMDB_ROLE_EXPERIMENT_NAME "experiment_name"

#define CMDB_RULE_ROLE "role"
#define CMDB_RULE_NAME_SUFFIX "name_suffix"
#define CMDB_RULE_NAME_SUFFIX_REQUIRES "name_suffix_requires"
#define CMDB_RULE_NAME_SUFFIX_UNLESS "name_suffix_unless"
#define CMDB_RULE_INCOMPATIBLE_MESSAGE "incompatible_message"
#define CMDB_RULE_INCOMPATIBLE_LIST "incompatible_list"
#define CMDB_RULE_INCOMPATIBLE_SEVERITY "incompatible_severity"
#define CMDB_RULE_OPTIMIZER_BOUNDS_MESSAGE "optimizer_bounds_message"
#define CMDB_RULE_PROFILE_OVERRIDES "profile_overrides"
#define CMDB_RULE_PROFILE_REPLACES "profile_replaces"

/* TRUE when @name is a rule attribute. */
gboolean cmdb_form_rule_is_known (const char *name);
/* TRUE when @value has the shape rule @name needs; else FALSE with
 * @ret_reason (transfer full) saying what it must be. */
gboolean cmdb_form_rule_check (const char *name, JsonNode *value, char **ret_reason);
/* (transfer full): @template_text with each {name} replaced by the value
 * of name in @fields (NULL-terminated name, value pairs); an unknown
 * {name} stays as written. */
char *cmdb_form_rule_fill (const char *template_text, const char *const *fields);
/* (transfer full): the usable part of a page's rule defaults @defaults
 * (nullable): unknown rules and rules of the wrong shape are left out, each
 * reported to @problems (CmdbProblem, located at @origin, subject the key). */
#define cmdb_form_rules_filter _cmdb_form_rules_filter
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_form_rules_filter (JsonObject *defaults, const char *origin, GPtrArray *problems);
/* (transfer none) (nullable): rule @name of @element: as the schema wrote
 * it, else from @defaults (nullable; the page's {key: {name: value}}). */
JsonNode *cmdb_form_rule_get (const CmdbSchemaElement *element, JsonObject *defaults,
                              const char *name);
/* (transfer none) (nullable): the same, when it is a string. */
const char *cmdb_form_rule_get_string (const CmdbSchemaElement *element, JsonObject *defaults,
                                       const char *name);

G_END_DECLS
