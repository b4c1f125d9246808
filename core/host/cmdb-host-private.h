/* cmdb-host-private.h: the plugin host (not installed; used by the
 * executable, the server and white-box tests).
 *
 * The host owns one PeasEngine and the page lifecycle:
 *   discovered  .plugin files read at start; X- keys give kind, title,
 *               order, icon, schema, runner and the sources provided.
 *               No module is mapped.
 *   loaded      the module is mapped (dlopen) on the page's first activation,
 *               or, for a registry, when an activated page's schema uses one
 *               of its sources.
 *   activated   the page's schema is parsed (through the cache) and the
 *               registry plugins providing its sources are loaded.
 *   shown       the page is on screen (server/CLI call this).
 *   left        the user went elsewhere.
 * Every transition is timed. Nothing is activated speculatively.
 *
 * Plugins named in [plugins] disabled are never mapped: the engine's
 * load-plugin signal is stopped for them, which also covers Depends=.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include <libpeas/peas.h>
#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_HOST_ERROR (cmdb_host_error_quark ())

/* The plugin contract this host implements: a .plugin file's X-Cmdb-API key
 * (absent means "1") must equal it, or the plugin is reported and skipped. */
#define CMDB_HOST_PLUGIN_API "1"

typedef enum
{
  CMDB_HOST_ERROR_FAILED,
  CMDB_HOST_ERROR_NOT_FOUND,      /* no plugin or source of that id */
  CMDB_HOST_ERROR_DISABLED,       /* the plugin is disabled by configuration */
  CMDB_HOST_ERROR_LOAD_FAILED,    /* the module could not be loaded */
  CMDB_HOST_ERROR_NO_EXTENSION,   /* loaded, but provides no usable extension */
  CMDB_HOST_ERROR_WRONG_KIND,     /* e.g. a registry id where a page was asked */
  CMDB_HOST_ERROR_INVALID_PLUGIN, /* the .plugin file is unusable */
} CmdbHostError;

typedef enum
{
  CMDB_PLUGIN_KIND_PAGE,
  CMDB_PLUGIN_KIND_REGISTRY,
  CMDB_PLUGIN_KIND_EXECUTOR,
} CmdbPluginKind;

typedef enum
{
  CMDB_PAGE_STATE_DISCOVERED,
  CMDB_PAGE_STATE_LOADED,
  CMDB_PAGE_STATE_ACTIVATED,
  CMDB_PAGE_STATE_SHOWN,
  CMDB_PAGE_STATE_LEFT,
} CmdbPageState;

/* What the host knows of one plugin. Owned by the host; valid for its life. */
typedef struct
{
  char *id; /* module directory name: "train", "decoders" */
  CmdbPluginKind kind;
  PeasPluginInfo *info; /* (transfer none) */
  char *module_dir;
  gboolean enabled;    /* FALSE when [plugins] disabled names it */
  gboolean loaded;     /* module mapped in this process */
  double load_ms;      /* time spent in peas_engine_load_plugin; < 0 if not loaded */
  gint64 loaded_at_us; /* monotonic time of the load, 0 if not loaded */
  char *error;         /* (nullable) why loading or creating the extension failed */
  GObject *extension;  /* (nullable) the CmdbPage / CmdbOptionSource, once created */
  GPtrArray *sources;  /* (element-type utf8) X-Sources (registries) */
  gboolean python;     /* Loader=python3: loading it starts the interpreter */
  /* Pages only. */
  char *title;
  int order;
  char *icon;              /* (nullable) */
  char *schema_name;       /* X-Schema, default the id */
  char *runner;            /* X-Runner, default "<id>.py" */
  gboolean suffix_default; /* X-Suffix */
  CmdbPageState state;
  double activate_ms; /* < 0 until activated */
} CmdbPluginRecord;

#define CMDB_TYPE_HOST (cmdb_host_get_type ())
G_DECLARE_FINAL_TYPE (CmdbHost, cmdb_host, CMDB, HOST, GObject)

#define cmdb_host_error_quark _cmdb_host_error_quark
CMDB_PRIVATE_EXPORT
GQuark cmdb_host_error_quark (void);

/* (transfer full): a host that discovers plugins in the built-in plugin
 * directories (the build tree's when running uninstalled), [plugins] path and
 * $CMDBUILDER_PLUGIN_PATH. Problems with directories or .plugin files are
 * collected (cmdb_host_get_problems), never fatal. */
#define cmdb_host_new _cmdb_host_new
CMDB_PRIVATE_EXPORT
CmdbHost *cmdb_host_new (CmdbConfig *config);

/* (transfer none) (element-type CmdbPluginRecord): every discovered plugin,
 * pages first by order, then registries and executors by id. Maps nothing. */
#define cmdb_host_list_plugins _cmdb_host_list_plugins
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_host_list_plugins (CmdbHost *self);
/* (transfer full) (element-type CmdbPluginRecord, records transfer none):
 * the enabled pages in sidebar order. Maps nothing. */
#define cmdb_host_list_pages _cmdb_host_list_pages
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_host_list_pages (CmdbHost *self);
/* (transfer none) (nullable) */
#define cmdb_host_lookup _cmdb_host_lookup
CMDB_PRIVATE_EXPORT
CmdbPluginRecord *cmdb_host_lookup (CmdbHost *self, const char *id);
/* (transfer none) (nullable): the enabled registry providing @source_id,
 * from X-Sources; NULL for the core's built-in sources. */
#define cmdb_host_lookup_source_provider _cmdb_host_lookup_source_provider
CMDB_PRIVATE_EXPORT
CmdbPluginRecord *cmdb_host_lookup_source_provider (CmdbHost *self, const char *source_id);
/* (transfer none) (nullable): the .plugin file that defined plugin @id. */
#define cmdb_host_get_plugin_file _cmdb_host_get_plugin_file
CMDB_PRIVATE_EXPORT
const char *cmdb_host_get_plugin_file (CmdbHost *self, const char *id);
/* (transfer full): the file loading @record maps or imports: lib<Module>.so,
 * or <Module>.py (a package directory <Module>/ when that is what exists)
 * for a Python plugin. */
#define cmdb_host_get_module_path _cmdb_host_get_module_path
CMDB_PRIVATE_EXPORT
char *cmdb_host_get_module_path (CmdbHost *self, CmdbPluginRecord *record);
/* (transfer none) (element-type CmdbProblem): problems met while
 * discovering and loading (bad directories, bad .plugin files, failed loads). */
#define cmdb_host_get_problems _cmdb_host_get_problems
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_host_get_problems (CmdbHost *self);

/* Loads the plugin @id (maps its module) and creates its extension.
 * Returns (transfer none) the extension, or NULL with @error: DISABLED,
 * NOT_FOUND, LOAD_FAILED (with the loader's reason), NO_EXTENSION. */
#define cmdb_host_load_plugin _cmdb_host_load_plugin
CMDB_PRIVATE_EXPORT
GObject *cmdb_host_load_plugin (CmdbHost *self, const char *id, GError **error);

/* Installs the host as @context's source resolver: built-in sources from the
 * core, others from the providing registry plugin (loaded on first use). */
#define cmdb_host_attach_context _cmdb_host_attach_context
CMDB_PRIVATE_EXPORT
void cmdb_host_attach_context (CmdbHost *self, CmdbContext *context);

/* Activates page @id for @context: loads its module, parses its schema and
 * loads the registries its schema's options_source keys need. Returns
 * (transfer none) the page extension. Idempotent; the first call is timed. */
#define cmdb_host_activate_page _cmdb_host_activate_page
CMDB_PRIVATE_EXPORT
CmdbPage *cmdb_host_activate_page (CmdbHost *self, CmdbContext *context, const char *id,
                                   GError **error);
#define cmdb_host_show_page _cmdb_host_show_page
CMDB_PRIVATE_EXPORT
void cmdb_host_show_page (CmdbHost *self, const char *id);
#define cmdb_host_leave_page _cmdb_host_leave_page
CMDB_PRIVATE_EXPORT
void cmdb_host_leave_page (CmdbHost *self, const char *id);
/* ---- where a page's schema comes from (cmdb-host-schemas.c) ---- */

/* (transfer full) (element-type utf8): page @id's schema search path, in
 * search order: the --schemas directories, [workspace] schemas, the page
 * plugin's own directory, the bundled schemas. Empty for an unknown page. */
GPtrArray *cmdb_host_get_schema_path (CmdbHost *self, CmdbContext *context, const char *id);
/* (transfer full): the schema file of page @id: in the first directory of
 * its search path holding <schema>.yaml or command_builder_<schema>.yaml
 * (X-Schema, default the id). NULL with @error (NOT_FOUND, naming both
 * names and every directory) otherwise. */
#define cmdb_host_find_schema _cmdb_host_find_schema
CMDB_PRIVATE_EXPORT
char *cmdb_host_find_schema (CmdbHost *self, CmdbContext *context, const char *id, GError **error);
/* (transfer full) (element-type utf8): the fragments (<schema>.d/NAME.yaml) of
 * every directory of page @id's path, in merge order: the last directory of
 * the path first, so the directories searched first have the last word;
 * within a directory by file name. */
GPtrArray *cmdb_host_find_schema_fragments (CmdbHost *self, CmdbContext *context, const char *id);
/* (transfer full): page @id's schema with its fragments merged in, through
 * the cache. NULL with @error as cmdb_host_find_schema() and
 * cmdb_schema_load_layered(). */
#define cmdb_host_load_schema _cmdb_host_load_schema
CMDB_PRIVATE_EXPORT
CmdbSchema *cmdb_host_load_schema (CmdbHost *self, CmdbContext *context, const char *id,
                                   GError **error);

/* (transfer full): the JSON array `cmdbuilder plugins --json` prints:
 * [{id, kind, path, enabled, loaded, load_ms}] (path: the plugin's
 * directory), load_ms null when not loaded,
 * plus loaded_at_ms (since the host started, null when not loaded), for
 * pages {title, order, state, activate_ms}, for registries {sources}, and
 * {error} for a plugin that failed. */
#define cmdb_host_plugins_to_json _cmdb_host_plugins_to_json
CMDB_PRIVATE_EXPORT
JsonNode *cmdb_host_plugins_to_json (CmdbHost *self);

#define cmdb_plugin_kind_to_string _cmdb_plugin_kind_to_string
CMDB_PRIVATE_EXPORT
const char *cmdb_plugin_kind_to_string (CmdbPluginKind kind);
#define cmdb_page_state_to_string _cmdb_page_state_to_string
CMDB_PRIVATE_EXPORT
const char *cmdb_page_state_to_string (CmdbPageState state);

G_END_DECLS
