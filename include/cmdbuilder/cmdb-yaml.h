/* cmdb-yaml.h: a parsed YAML document as a plain, immutable tree.
 *
 * Every node remembers where it came from (file, line, column) so that
 * errors in schemas and configs can point at the exact spot. Documents are
 * parsed once (through the cache service, see cmdb-cache.h) and shared:
 * a CmdbYamlDocument is reference counted and its nodes are owned by it.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CMDB_YAML_ERROR (cmdb_yaml_error_quark ())

typedef enum
{
  CMDB_YAML_ERROR_FAILED,
  CMDB_YAML_ERROR_IO,            /* the file could not be read */
  CMDB_YAML_ERROR_SYNTAX,        /* libyaml rejected the text */
  CMDB_YAML_ERROR_DUPLICATE_KEY, /* a mapping names the same key twice */
  CMDB_YAML_ERROR_UNSUPPORTED,   /* merge keys, complex keys, several documents, tags,
                                    nesting deeper than CMDB_YAML_MAX_DEPTH */
} CmdbYamlError;

/* Mappings and sequences nest at most this deep (schemas use about 6). */
#define CMDB_YAML_MAX_DEPTH 256

typedef enum
{
  CMDB_YAML_NODE_SCALAR,
  CMDB_YAML_NODE_MAPPING,
  CMDB_YAML_NODE_SEQUENCE,
} CmdbYamlNodeKind;

/* How a scalar was written; a quoted scalar is always a string. */
typedef enum
{
  CMDB_YAML_SCALAR_PLAIN,
  CMDB_YAML_SCALAR_QUOTED, /* single or double quoted, literal or folded block */
} CmdbYamlScalarStyle;

/* What a plain scalar reads as: the YAML 1.2 core schema, as OmegaConf/Hydra read configs
 * (1e-5 is a float, yes/no/on/off are strings, no _ in numbers). */
typedef enum
{
  CMDB_YAML_SCALAR_NULL,
  CMDB_YAML_SCALAR_BOOL,
  CMDB_YAML_SCALAR_INT,
  CMDB_YAML_SCALAR_FLOAT,
  CMDB_YAML_SCALAR_STRING,
} CmdbYamlScalarType;

typedef struct _CmdbYamlDocument CmdbYamlDocument;

#define CMDB_TYPE_YAML_DOCUMENT (cmdb_yaml_document_get_type ())
/**
 * cmdb_yaml_document_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_yaml_document_get_type (void) G_GNUC_CONST;
typedef struct _CmdbYamlNode CmdbYamlNode;

/**
 * cmdb_yaml_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_yaml_error_quark (void);

/**
 * cmdb_yaml_document_load:
 *
 * Parses @path. Returns (transfer full) a document, or NULL with @error set to a message that
 * starts with "path:line:column: ". An empty file gives a document whose root is NULL.
 *
 * Returns: (transfer full): the document, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlDocument *cmdb_yaml_document_load (const char *path, GError **error);
/**
 * cmdb_yaml_document_parse:
 *
 * Parses @text (length @length, or -1 for NUL-terminated); @display_name is used in locations and
 * error messages. (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlDocument *cmdb_yaml_document_parse (const char *display_name, const char *text,
                                            gssize length, GError **error);
/**
 * cmdb_yaml_document_ref:
 * @document: the object
 *
 * Returns: (transfer full): @document, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlDocument *cmdb_yaml_document_ref (CmdbYamlDocument *document);
/**
 * cmdb_yaml_document_unref:
 * @document: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_yaml_document_unref (CmdbYamlDocument *document);
/**
 * cmdb_yaml_document_get_root:
 *
 * Returns: (transfer none) (nullable): NULL for an empty document.
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_document_get_root (CmdbYamlDocument *document);
/**
 * cmdb_yaml_document_get_path:
 *
 * Returns: (transfer none): the path or display name given at load.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_yaml_document_get_path (CmdbYamlDocument *document);
/**
 * cmdb_yaml_document_get_size:
 *
 * Approximate bytes held, for the cache's memory bound.
 */
CMDB_AVAILABLE_IN_ALL
gsize cmdb_yaml_document_get_size (CmdbYamlDocument *document);

/**
 * cmdb_yaml_node_get_kind:
 * @node: a node
 *
 * Returns: scalar, mapping or sequence.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlNodeKind cmdb_yaml_node_get_kind (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_line:
 *
 * 1-based line and column of the node's first character.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_yaml_node_get_line (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_column:
 * @node: a node
 *
 * Returns: the 1-based column of its first character.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_yaml_node_get_column (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_path:
 *
 * Returns: (transfer none): the file (or display name) the node was read from.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_yaml_node_get_path (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_dup_location:
 *
 * Returns: (transfer full): "path:line:column", for messages.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_yaml_node_dup_location (const CmdbYamlNode *node);

/**
 * cmdb_yaml_node_get_scalar:
 *
 * Scalars. The text is owned by the document. (transfer none)
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_yaml_node_get_scalar (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_scalar_style:
 * @node: a scalar node
 *
 * Returns: how it was written.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlScalarStyle cmdb_yaml_node_get_scalar_style (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_scalar_type:
 * @node: a scalar node
 *
 * Returns: what a plain scalar reads as.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlScalarType cmdb_yaml_node_get_scalar_type (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_is_null:
 * @node: a node
 *
 * Returns: whether it is the null scalar.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_yaml_node_is_null (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_get_bool:
 * @node: a node
 * @ret_value: (out) (optional): the value
 *
 * TRUE when @node is a scalar of that type; the value goes to @ret_value.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_yaml_node_get_bool (const CmdbYamlNode *node, gboolean *ret_value);
/**
 * cmdb_yaml_node_get_int:
 * @node: a node
 * @ret_value: (out) (optional): the value
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_yaml_node_get_int (const CmdbYamlNode *node, gint64 *ret_value);
/**
 * cmdb_yaml_node_get_double:
 * @node: a node
 * @ret_value: (out) (optional): the value
 *
 * Accepts ints and floats.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_yaml_node_get_double (const CmdbYamlNode *node, double *ret_value);

/**
 * cmdb_yaml_node_get_n_children:
 *
 * Mappings keep their keys in file order. Keys are scalars.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_yaml_node_get_n_children (const CmdbYamlNode *node);
/**
 * cmdb_yaml_node_lookup:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_node_lookup (const CmdbYamlNode *node, const char *key);
/**
 * cmdb_yaml_node_lookup_path:
 *
 * Returns: (transfer none) (nullable): follows a dotted path ("a.b.c") through mappings; NULL when
 *   a segment is missing or a non-mapping is met.
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_node_lookup_path (const CmdbYamlNode *node, const char *dotted_path);
/**
 * cmdb_yaml_node_get_key_node:
 *
 * Returns: (transfer none): the i-th key node and value node of a mapping.
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_node_get_key_node (const CmdbYamlNode *node, guint index);
/**
 * cmdb_yaml_node_get_value_node:
 * @node: a mapping
 * @index: the index
 *
 * Returns: (transfer none): the value node of the i-th pair.
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_node_get_value_node (const CmdbYamlNode *node, guint index);
/**
 * cmdb_yaml_node_get_item:
 *
 * Returns: (transfer none): the i-th item of a sequence.
 */
CMDB_AVAILABLE_IN_ALL
const CmdbYamlNode *cmdb_yaml_node_get_item (const CmdbYamlNode *node, guint index);

/**
 * cmdb_yaml_node_to_json:
 *
 * Converts a subtree into JSON: plain scalars by their YAML type, quoted ones as strings, mappings
 * as objects in file order. (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_yaml_node_to_json (const CmdbYamlNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbYamlDocument, cmdb_yaml_document_unref)

G_END_DECLS
