/* cmdb-context.h: what a plugin is given to work with.
 *
 * A context ties together one workspace (its directories), the effective
 * configuration and the shared cache, and lets plugins reach the option
 * sources of other plugins through the host (which loads the providing
 * plugin on first use). Plugins receive it as (transfer none) in every
 * call; they must not keep it beyond the call unless they take a reference.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include "cmdb-cache.h"
#include "cmdb-config.h"
#include "cmdb-option-source.h"

G_BEGIN_DECLS

#define CMDB_WORKSPACE_ERROR (cmdb_workspace_error_quark ())

typedef enum
{
  CMDB_WORKSPACE_ERROR_FAILED,
  CMDB_WORKSPACE_ERROR_NOT_FOUND, /* the given directory does not exist */
  CMDB_WORKSPACE_ERROR_OUTSIDE,   /* a name leads out of the folder it must stay in */
} CmdbWorkspaceError;

/**
 * cmdb_workspace_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_workspace_error_quark (void);

/**
 * cmdb_workspace_discover:
 *
 * Returns: (transfer full): the workspace root: @explicit_dir made absolute without resolving
 *   symlinks, or, when NULL, the first directory from the working directory upwards holding
 *   pyproject.toml, requirements.txt, setup.py or .git (the working directory itself when none
 *   does).
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_workspace_discover (const char *explicit_dir, GError **error);
/**
 * cmdb_workspace_find_marker:
 *
 * Returns: (transfer none) (nullable): the project marker (pyproject.toml, requirements.txt,
 *   setup.py, .git) that makes @dir a workspace root for cmdb_workspace_discover(), or NULL when
 *   it holds none.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_workspace_find_marker (const char *dir);

/* Resolves an option source for the context (the host's job). */
typedef CmdbOptionList *(*CmdbSourceResolver) (CmdbContext *context, const char *source_id,
                                               gpointer user_data, GError **error);

#define CMDB_TYPE_CONTEXT (cmdb_context_get_type ())
CMDB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (CmdbContext, cmdb_context, CMDB, CONTEXT, GObject)

/**
 * cmdb_context_new:
 *
 * Returns: (transfer full): a context for the workspace at @root (absolute, used as given in
 *   commands). Directories come from [workspace] keys of @config, relative to @root: configs
 *   (default "configs"), outputs ("outputs"), state (".cmdbuilder"), schemas (a list of
 *   directories, default none: the bundled schemas only).
 */
CMDB_AVAILABLE_IN_ALL
CmdbContext *cmdb_context_new (const char *root, CmdbConfig *config, CmdbCache *cache);
/**
 * cmdb_context_get_root:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_root (CmdbContext *self);
/**
 * cmdb_context_get_configs_dir:
 * @self: the context
 *
 * Returns: (transfer none): the Hydra config tree's directory, absolute.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_configs_dir (CmdbContext *self);
/**
 * cmdb_context_get_outputs_dir:
 * @self: the context
 *
 * Returns: (transfer none): the outputs directory, absolute.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_outputs_dir (CmdbContext *self);
/**
 * cmdb_context_get_state_dir:
 * @self: the context
 *
 * Returns: (transfer none): the state directory (.cmdbuilder), absolute.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_state_dir (CmdbContext *self);
/**
 * cmdb_context_resolve_output:
 * @self: the workspace
 * @name: a path relative to the outputs folder (cmdb_context_get_outputs_dir())
 * @error: CMDB_WORKSPACE_ERROR_OUTSIDE when @name leaves the folder: an
 *   absolute path, a ".." component, a symbolic link (on the way or the file
 *   itself) that points out, or no file name at all. The message quotes @name
 *   and says what to give instead; callers put the field's name before it.
 *
 * Where a file the UI writes (an exported CSV) or serves (its download)
 * goes: always inside the outputs folder. The file need not exist yet.
 *
 * Returns: (transfer full) (nullable): the absolute path, or NULL with @error.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_context_resolve_output (CmdbContext *self, const char *name, GError **error);
/* The schema search path of a page (docs/schema-format.md, "Where a
 * page's schema comes from"): the directories given with --schemas, then
 * [workspace] schemas, then the page plugin's own directory, then the
 * bundled schemas. The context holds the first two and the last. */
/**
 * cmdb_context_get_schema_dirs:
 *
 * Returns: (transfer none) (element-type utf8): --schemas then [workspace] schemas.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_context_get_schema_dirs (CmdbContext *self);
/**
 * cmdb_context_get_bundled_schemas_dir:
 *
 * Returns: (transfer none): the bundled schemas' directory.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_bundled_schemas_dir (CmdbContext *self);
/**
 * cmdb_context_get_schemas_dir:
 *
 * Returns: (transfer none): the first directory of the path the context holds (the bundled one
 *   when no other is configured).
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_context_get_schemas_dir (CmdbContext *self);
/**
 * cmdb_context_prepend_schemas_dir:
 *
 * Puts @dir first on the path (--schemas).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_context_prepend_schemas_dir (CmdbContext *self, const char *dir);
/**
 * cmdb_context_get_config:
 *
 * Returns: (transfer none): the effective configuration.
 */
CMDB_AVAILABLE_IN_ALL
CmdbConfig *cmdb_context_get_config (CmdbContext *self);
/**
 * cmdb_context_get_cache:
 *
 * Returns: (transfer none): the shared cache.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCache *cmdb_context_get_cache (CmdbContext *self);

/**
 * cmdb_context_get_options:
 *
 * Returns: (transfer full): the list of @source_id, from the core's built-in sources or the plugin
 *   providing it (loaded now if needed). Errors name the source (unknown, provider disabled,
 *   provider failed to load).
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionList *cmdb_context_get_options (CmdbContext *self, const char *source_id, GError **error);
/**
 * cmdb_context_set_source_resolver:
 *
 * Installed by the host.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_context_set_source_resolver (CmdbContext *self, CmdbSourceResolver resolver,
                                       gpointer user_data, GDestroyNotify destroy);

G_END_DECLS
