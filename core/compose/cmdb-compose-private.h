/* cmdb-compose-private.h: the pieces of the composition checker.
 *
 *   cmdb-compose-node.c      the config value tree (an OmegaConf stand-in): merge, struct
 *                            updates, lookups, leaf keys
 *   cmdb-compose-repo.c      the config repository: the workspace's tree (through the cache)
 *                            plus Hydra's built-in hydra groups
 *   cmdb-compose-defaults.c  the defaults tree, as Hydra 1.3 builds it
 *   cmdb-compose-resolve.c   the resolve stage (interpolations to nowhere, cycles)
 *   cmdb-compose.c           the driver: overrides, composition, problems and hints
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cmdbuilder.h"

G_BEGIN_DECLS

/* ---- config values ---------------------------------------------------- */

typedef enum
{
  CFG_VALUE, /* a scalar: string, int, float, bool, null, or "???" */
  CFG_DICT,
  CFG_LIST,
} CfgKind;

typedef struct _CfgNode CfgNode;
struct _CfgNode
{
  CfgKind kind;
  JsonNode *value;  /* CFG_VALUE: a JSON scalar (never NULL) */
  GPtrArray *keys;  /* CFG_DICT: (char *) keys in insertion order */
  GPtrArray *items; /* CFG_DICT: values parallel to keys; CFG_LIST: the items */
  CfgNode *parent;  /* (unowned) */
};

CfgNode *cfg_node_new_dict (void);
CfgNode *cfg_node_new_list (void);
/* Takes ownership of @value (a JSON scalar). */
CfgNode *cfg_node_new_value (JsonNode *value);
CfgNode *cfg_node_new_string (const char *text);
CfgNode *cfg_node_new_null (void);
void cfg_node_free (CfgNode *node);
CfgNode *cfg_node_copy (const CfgNode *node);
/* From a YAML subtree (plain scalars typed by the YAML 1.2 core schema). */
CfgNode *cfg_node_from_yaml (const CmdbYamlNode *yaml);
/* From an override's JSON value. */
CfgNode *cfg_node_from_json (JsonNode *json);
JsonNode *cfg_node_to_json (const CfgNode *node);

gboolean cfg_node_is_container (const CfgNode *node);
gboolean cfg_node_is_null (const CfgNode *node);
gboolean cfg_node_is_missing (const CfgNode *node);
/* A string value holding `${` that is not escaped. */
gboolean cfg_node_is_interpolation (const CfgNode *node);
const char *cfg_node_get_string (const CfgNode *node);

CfgNode *cfg_dict_get (const CfgNode *dict, const char *key);
guint cfg_dict_index (const CfgNode *dict, const char *key);
/* Sets (replacing) @key; takes ownership of @value. */
void cfg_dict_set (CfgNode *dict, const char *key, CfgNode *value);
gboolean cfg_dict_remove (CfgNode *dict, const char *key);
void cfg_list_append (CfgNode *list, CfgNode *value);

/* OmegaConf's merge of @src into @dest (both dicts or both lists; otherwise
 * FALSE with a ConfigTypeError message). With @is_struct, a key that @dest
 * lacks is an error (@ret_struct_error set). @src is not changed. */
gboolean cfg_node_merge (CfgNode *dest, const CfgNode *src, gboolean is_struct,
                         gboolean *ret_struct_error, char **ret_message);
/* The same without struct mode, moving @src's nodes into @dest instead of
 * copying them: @src is only good for freeing afterwards. */
gboolean cfg_node_merge_take (CfgNode *dest, CfgNode *src, char **ret_message);
/* Places @body (owned) at the dotted @package inside a new dict. */
CfgNode *cfg_node_embed (CfgNode *body, const char *package);
/* Sorted leaf paths (Python-style: dotted keys, list items as [i]). */
GPtrArray *cfg_node_leaf_keys (const CfgNode *root);
/* Python's str() of a value, for messages. */
char *cfg_node_to_python_str (const CfgNode *node);
/* Python's == between an override value and a config value. */
gboolean cfg_node_equals_json (const CfgNode *node, JsonNode *json);

/* ---- interpolation resolution ------------------------------------------ */

typedef enum
{
  CFG_RESOLVE_OK,
  CFG_RESOLVE_KEY_ERROR, /* InterpolationKeyError */
  CFG_RESOLVE_CYCLE,     /* InterpolationResolutionError: recursive */
  CFG_RESOLVE_MISSING,   /* InterpolationToMissingValueError */
  CFG_RESOLVE_SYNTAX,    /* GrammarParseError */
} CfgResolveStatus;

/* Resolves @node (inside @root) as OmegaConf dereferences it: a whole-string
 * interpolation gives the node it points at (transfer none, in @root) and
 * @ret_text NULL; a string with text around interpolations gives @ret_text.
 * Resolver calls (`${now:...}`, `${oc.env:...}`) resolve to an opaque
 * string. On failure returns the status and a message (transfer full). */
CfgResolveStatus cfg_resolve_node (CfgNode *root, CfgNode *node, const CfgNode **ret_target,
                                   char **ret_text, char **ret_message);
/* The resolve stage: every interpolation of @root. Appends JSON objects
 * {key, message, error_class} to @problems. */
void cfg_resolve_all (CfgNode *root, JsonArray *problems);
/* The dotted path of @node inside its tree (transfer full). */
char *cfg_node_dup_path (const CfgNode *node);

/* ---- the config repository --------------------------------------------- */

typedef struct _ComposeRepo ComposeRepo;

/* One parsed config file: its package header, defaults list (the YAML
 * node, NULL without one) and body (without `defaults`). Shared, read-only. */
typedef struct
{
  gint ref_count;
  char *path;                   /* file path or "<hydra>/..." */
  char *package_header;         /* (nullable) */
  CmdbYamlDocument *document;   /* (nullable): keeps the defaults node alive */
  const CmdbYamlNode *defaults; /* (nullable) */
  CfgNode *body;
  char *error; /* (nullable): the file does not read as a config */
} ComposeConfig;

ComposeRepo *compose_repo_new (CmdbCache *cache, const char *config_dir);
void compose_repo_free (ComposeRepo *repo);
/* (transfer full) (nullable): NULL when no source has @config_path.yaml. */
ComposeConfig *compose_repo_load (ComposeRepo *repo, const char *config_path);
void compose_config_unref (ComposeConfig *config);
gboolean compose_repo_config_exists (ComposeRepo *repo, const char *config_path);
gboolean compose_repo_group_exists (ComposeRepo *repo, const char *group_path);
/* (transfer full): sorted option names of a group (configs only). */
GPtrArray *compose_repo_group_options (ComposeRepo *repo, const char *group_path);
/* (transfer full): sorted group names directly below @group_path ("" = the root). */
GPtrArray *compose_repo_subgroups (ComposeRepo *repo, const char *group_path);
const char *compose_repo_get_dir (ComposeRepo *repo);

/* ---- problems ------------------------------------------------------------ */

typedef struct
{
  char *error_class; /* Hydra's exception class: "ConfigCompositionException", ... */
  char *message;     /* Hydra's text; its first line is what Hydra prints first */
  char *cause;       /* (nullable): the OmegaConf cause's first line */
  char *override;    /* (nullable): the override token it is about */
  char *hint;        /* (nullable): what to do */
} ComposeProblem;

ComposeProblem *compose_problem_new (const char *error_class, const char *override,
                                     const char *format, ...) G_GNUC_PRINTF (3, 4);
void compose_problem_free (ComposeProblem *problem);

/* ---- the defaults list --------------------------------------------------- */

/* One entry of the final defaults list: a config merged at a package. */
typedef struct
{
  char *config_path;
  char *package;
  char *override_key; /* (nullable): group entries only */
  gboolean is_self;
  gboolean primary;
} ComposeResultDefault;

/* A command-line override the defaults list treats as a group choice or
 * leaves to the config (config_overrides). */
typedef struct
{
  const char *token;
  CmdbHydraOverride *override; /* (unowned) */
} ComposeOverrideRef;

typedef struct
{
  GPtrArray *results;          /* ComposeResultDefault */
  GPtrArray *config_overrides; /* ComposeOverrideRef (unowned items of the input) */
  JsonObject *choices;         /* group (or group@package) -> option or null */
} ComposeDefaults;

/* Builds the defaults list of @config_name with @overrides (parsed, in
 * order) as Hydra 1.3 does. On failure returns FALSE and @ret_problem. */
gboolean compose_defaults_build (ComposeRepo *repo, const char *config_name, GPtrArray *overrides,
                                 ComposeDefaults *ret_defaults, ComposeProblem **ret_problem);
void compose_defaults_clear (ComposeDefaults *defaults);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CfgNode, cfg_node_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ComposeConfig, compose_config_unref)

/* Results are shared (the cache keeps the last composition of each
 * config): (transfer full) another reference; cmdb_compose_result_free()
 * drops one. */
CmdbComposeResult *compose_result_ref (CmdbComposeResult *result);
/* (nullable): what the result was composed from (config and overrides),
 * set by the cached composition. */
const char *compose_result_get_signature (const CmdbComposeResult *result);
void compose_result_set_signature (CmdbComposeResult *result, const char *signature);

G_END_DECLS
