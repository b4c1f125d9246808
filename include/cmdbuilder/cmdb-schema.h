/* cmdb-schema.h: page schemas (the original app's YAML form format).
 *
 * A schema is loaded once through the cache (a derived entry
 * "schema:<path>", recomputed when the file changes) and is immutable and
 * reference counted. Loading collects every problem it finds (unknown keys
 * and types, bad expressions, wrong value shapes) as located CmdbProblems
 * instead of stopping at the first; only a file that cannot be read or
 * parsed as YAML at all fails the load. docs/schema-format.md describes the
 * format; cmdb-form.h evaluates a schema into a form and a command.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "cmdb-cache.h"
#include "cmdb-yaml.h"

G_BEGIN_DECLS

#define CMDB_SCHEMA_ERROR (cmdb_schema_error_quark ())

typedef enum
{
  CMDB_SCHEMA_ERROR_FAILED,
  CMDB_SCHEMA_ERROR_INVALID, /* the file is not a schema (not a mapping, empty) */
} CmdbSchemaError;

typedef enum
{
  CMDB_ELEMENT_UNKNOWN, /* an unsupported type: reported, the element has no value */
  CMDB_ELEMENT_TEXT_INPUT,
  CMDB_ELEMENT_CHECKBOX,
  CMDB_ELEMENT_SELECTBOX,
  CMDB_ELEMENT_MULTISELECT,
  CMDB_ELEMENT_SLIDER,
  CMDB_ELEMENT_NUMBER_INPUT,
  CMDB_ELEMENT_INFO,
} CmdbElementType;

/* A parsed visible_if / required_if expression (see cmdb-form.h for the
 * semantics). Opaque. */
typedef struct _CmdbExpression CmdbExpression;

/* One static choice: `value` is what the command gets, `label` what is shown
 * (equal to the value for string options; an option source's entry may
 * give its own, its metadata's `label`). `time` (nullable) is when the
 * choice was made, ISO 8601 in UTC (a file's modification: a
 * checkpoint's), which the web UI shows in the reader's local time. */
typedef struct
{
  char *label;
  char *value;
  char *time;
} CmdbSchemaOption;

/* The `validation:` map. Unset numeric rules have their has_* flag FALSE. */
typedef struct
{
  gboolean required;
  CmdbExpression *required_if; /* (nullable) NULL when absent or broken */
  char *required_if_text;
  gint64 min_length; /* -1 when unset */
  gboolean has_min;
  double min;
  gboolean has_max;
  double max;
  gboolean has_range;
  double range_low;
  double range_high;
  /* The rules' bounds as written, for messages ("must be >= 1"). */
  char *min_text;
  char *max_text;
  char *range_low_text;
  char *range_high_text;
} CmdbSchemaValidation;

/* One element of `ui_elements`, read-only. Strings are NULL when the key
 * is absent. */
typedef struct
{
  char *key;
  CmdbElementType type;
  char *type_name; /* as written */
  char *label;     /* never NULL: the key when absent or empty */
  char *help;
  JsonNode *default_value;    /* (nullable) */
  GPtrArray *hydra_overrides; /* (element-type utf8) empty when none */
  GPtrArray *options;         /* (nullable) (element-type CmdbSchemaOption) static options */
  gboolean options_are_maps;  /* static options were label/value maps */
  char *options_source;
  CmdbExpression *visible_if; /* (nullable) NULL when absent or broken */
  char *visible_if_text;
  CmdbSchemaValidation validation;
  char *architecture_fallback;
  char *architecture_key; /* never NULL: default "architecture" */
  char *filter_by_architecture_key;
  char *options_metadata_key;
  char *metadata_default_key;
  char *metadata_help_key;
  char *metadata_info_key;
  char *info_template; /* never NULL: default "{value}" */
  char *info_fallback; /* never NULL: default "No metadata available." */
  char *optimizer_key; /* never NULL: default "optimizer" */
  char *optimizer_fallback;
  char *optimizer_metadata_key;
  char *optimizer_help_key;
  JsonNode *min_value; /* (nullable) int or double */
  JsonNode *max_value; /* (nullable) */
  JsonNode *step;      /* (nullable) */
  char *format;
  /* The declarative rule attributes written on the element (role,
   * name_suffix, incompatible_message, ...: docs/schema-format.md), as
   * JSON; a page plugin's rule defaults fill in the ones left out. */
  JsonObject *rules;
  const CmdbYamlNode *node; /* the element's mapping, for locations */
  guint index;              /* position in the schema */
} CmdbSchemaElement;

typedef struct _CmdbSchema CmdbSchema;

#define CMDB_TYPE_SCHEMA (cmdb_schema_get_type ())
/**
 * cmdb_schema_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_schema_get_type (void) G_GNUC_CONST;

/**
 * cmdb_schema_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_schema_error_quark (void);

/**
 * cmdb_schema_load:
 *
 * Loads the schema at @path through @cache: parsed once, and again only after the file changed.
 * Returns (transfer full) the schema, or NULL with @error when the file cannot be read, is not
 * YAML (the message starts with "path:line:column: ") or its top level is not a mapping. Every
 * other problem is collected (cmdb_schema_get_problems) and the schema is usable without the
 * broken parts.
 *
 * Returns: (transfer full): the schema, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_schema_load (CmdbCache *cache, const char *path, GError **error);
/**
 * cmdb_schema_new_from_document:
 *
 * Returns: (transfer full): the schema of an already parsed document (tests, and schemas that are
 *   not files). Same rules as cmdb_schema_load().
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_schema_new_from_document (CmdbYamlDocument *document, GError **error);
/**
 * cmdb_schema_load_layered:
 * @fragment_paths: (nullable) (element-type utf8): the fragments' files
 *
 * Loads the schema at @path with the fragments at @fragment_paths (nullable; element-type utf8)
 * merged in, in that order: each fragment is a mapping holding only `ui_elements`; an element
 * whose key the schema already has replaces it where it stands, a new key is appended. A fragment
 * that cannot be read is a located error of the schema, the rest still loads. Cached like
 * cmdb_schema_load() (which is this without fragments), recomputed when any of the files changes.
 * (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_schema_load_layered (CmdbCache *cache, const char *path, GPtrArray *fragment_paths,
                                      GError **error);
/**
 * cmdb_schema_new_layered:
 * @fragments: (nullable) (element-type CmdbYamlDocument): the fragments
 *
 * Returns: (transfer full): @document with @fragments (nullable; element-type CmdbYamlDocument)
 *   merged in, as cmdb_schema_load_layered() does.
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_schema_new_layered (CmdbYamlDocument *document, GPtrArray *fragments,
                                     GError **error);
/**
 * cmdb_schema_ref:
 * @schema: the object
 *
 * Returns: (transfer full): @schema, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_schema_ref (CmdbSchema *schema);
/**
 * cmdb_schema_unref:
 * @schema: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_schema_unref (CmdbSchema *schema);

/**
 * cmdb_schema_get_path:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_schema_get_path (CmdbSchema *schema);
/**
 * cmdb_schema_get_files:
 *
 * Returns: (transfer none) (element-type utf8): the files the schema came from: the schema file,
 *   then each fragment merged into it, in merge order.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_schema_get_files (CmdbSchema *schema);
/**
 * cmdb_schema_get_title:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_schema_get_title (CmdbSchema *schema);
/**
 * cmdb_schema_get_constant_overrides:
 *
 * Returns: (transfer none) (element-type utf8): `constant_overrides`, as written.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_schema_get_constant_overrides (CmdbSchema *schema);
/**
 * cmdb_schema_get_n_elements:
 * @schema: the schema
 *
 * Returns: how many usable elements it has.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_schema_get_n_elements (CmdbSchema *schema);
/**
 * cmdb_schema_get_element:
 *
 * Returns: (transfer none): the usable elements in schema order (elements without a key, or
 *   repeating an earlier key, are left out and reported).
 */
CMDB_AVAILABLE_IN_ALL
const CmdbSchemaElement *cmdb_schema_get_element (CmdbSchema *schema, guint index);
/**
 * cmdb_schema_lookup:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbSchemaElement *cmdb_schema_lookup (CmdbSchema *schema, const char *key);
/**
 * cmdb_schema_get_option_sources:
 *
 * Returns: (transfer none) (element-type utf8): the distinct `options_source` ids of elements
 *   without static options, in first-use order.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_schema_get_option_sources (CmdbSchema *schema);
/**
 * cmdb_schema_get_problems:
 *
 * Returns: (transfer none) (element-type CmdbProblem): every problem found while loading, in file
 *   order, each with file:line:column and the element key.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_schema_get_problems (CmdbSchema *schema);
/**
 * cmdb_schema_has_errors:
 *
 * TRUE when a problem of error severity was found.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_schema_has_errors (CmdbSchema *schema);

/**
 * cmdb_element_type_to_string:
 * @type: an element type
 *
 * Returns: (transfer none): its name as written in schemas.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_element_type_to_string (CmdbElementType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbSchema, cmdb_schema_unref)

G_END_DECLS
