/* cmdb-option-source.h: the "option source" extension point.
 *
 * An option source turns part of the user's Hydra config tree into the
 * choices of a selectbox: "models.decoders" lists the decoders, and so on.
 * Registry plugins (plugins/registries/) implement CmdbOptionSource; the
 * sources a plugin provides are named in its .plugin file as
 *   X-Sources=models.decoders
 * so the host can map a schema's `options_source` to a plugin without
 * loading any module. The plugin is loaded when a page that uses one of its
 * sources is first activated.
 *
 * Implementations compute lists through the shared cache (cmdb-cache.h),
 * so a list is rebuilt only when one of the files it came from changed.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "cmdb-problem.h"

G_BEGIN_DECLS

typedef struct _CmdbContext CmdbContext;

#define CMDB_OPTION_SOURCE_ERROR (cmdb_option_source_error_quark ())

typedef enum
{
  CMDB_OPTION_SOURCE_ERROR_FAILED,
  CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE, /* the provider does not list that source id */
} CmdbOptionSourceError;

/**
 * cmdb_option_source_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_option_source_error_quark (void);

/* One choice of a source. Immutable once the list is built. Opaque: read
 * it with the accessors below. */
typedef struct _CmdbOptionEntry CmdbOptionEntry;

/* A source's whole list, shared and immutable. Opaque, like the entries. */
typedef struct _CmdbOptionList CmdbOptionList;

/**
 * cmdb_option_entry_new:
 * @name: the value put into the command
 * @file: (nullable): absolute path of the file it came from
 *
 * Returns: (transfer full): a new entry.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionEntry *cmdb_option_entry_new (const char *name, const char *file);
/**
 * cmdb_option_entry_ref:
 * @entry: the object
 *
 * Returns: (transfer full): @entry, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionEntry *cmdb_option_entry_ref (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_unref:
 * @entry: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_option_entry_unref (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_get_name:
 *
 * Returns: (transfer none): the value put into the command.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_option_entry_get_name (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_get_file:
 * @entry: the entry
 *
 * Returns: (transfer none) (nullable): the absolute path of the file it came from.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_option_entry_get_file (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_get_architectures:
 *
 * Returns: (transfer none) (element-type utf8): the architectures listing it as compatible.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_option_entry_get_architectures (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_get_metadata:
 *
 * Returns: (transfer none) (nullable): source-specific extras (checkpoint epoch, size, ...).
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_option_entry_get_metadata (CmdbOptionEntry *entry);
/**
 * cmdb_option_entry_add_architecture:
 *
 * Adds @architecture to the entry's compatible list once.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_option_entry_add_architecture (CmdbOptionEntry *entry, const char *architecture);
/**
 * cmdb_option_entry_get_description:
 *
 * Returns: (transfer none) (nullable): the description: the file's top-level `description` string
 *   if any, else its leading comment block. Read on the first call, through @context's cache; NULL
 *   when there is none.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_option_entry_get_description (CmdbOptionEntry *entry, CmdbContext *context);
/**
 * cmdb_option_entry_to_json:
 *
 * Returns: (transfer full): the entry as a JSON object {name, file, description?, architectures,
 *   ...metadata}.
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_option_entry_to_json (CmdbOptionEntry *entry, CmdbContext *context,
                                       gboolean with_description);

/**
 * cmdb_option_list_new:
 * @source_id: the source the list is for, e.g. "models.necks"
 *
 * Returns: (transfer full): an empty list.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionList *cmdb_option_list_new (const char *source_id);
/**
 * cmdb_option_list_ref:
 * @list: the object
 *
 * Returns: (transfer full): @list, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionList *cmdb_option_list_ref (CmdbOptionList *list);
/**
 * cmdb_option_list_unref:
 * @list: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_option_list_unref (CmdbOptionList *list);
/**
 * cmdb_option_list_get_source_id:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_option_list_get_source_id (CmdbOptionList *list);
/**
 * cmdb_option_list_get_entries:
 * @list: the list
 *
 * Returns: (transfer none) (element-type CmdbOptionEntry): the entries, in
 * the source's documented order.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_option_list_get_entries (CmdbOptionList *list);
/**
 * cmdb_option_list_get_problems: (skip)
 * @list: the list
 *
 * Returns: (transfer none) (element-type CmdbProblem): warnings and errors
 * met while listing.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_option_list_get_problems (CmdbOptionList *list);
/**
 * cmdb_option_list_add:
 * @list: the list
 * @entry: (transfer none): the entry; the list takes its own reference
 *
 * Appends @entry unless an entry of that name exists.
 *
 * Returns: (transfer none): the entry now in the list under that name.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionEntry *cmdb_option_list_add (CmdbOptionList *list, CmdbOptionEntry *entry);
/**
 * cmdb_option_list_lookup:
 * @list: the list
 * @name: an entry name
 *
 * Returns: (transfer none) (nullable): the entry named @name.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionEntry *cmdb_option_list_lookup (CmdbOptionList *list, const char *name);
/**
 * cmdb_option_list_add_problem: (skip)
 * @list: the list
 * @problem: (transfer full): the problem
 *
 * Takes ownership of @problem. Bindings use cmdb_option_list_add_warning().
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_option_list_add_problem (CmdbOptionList *list, CmdbProblem *problem);
/**
 * cmdb_option_list_search:
 * @list: the list
 * @query: (nullable): a case-insensitive substring; NULL or "" matches all
 * @offset: the first match returned
 * @limit: at most this many (0: no limit)
 * @ret_total: (out) (optional): the number of matches
 *
 * Returns: (transfer full) (element-type CmdbOptionEntry): the matches.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_option_list_search (CmdbOptionList *list, const char *query, guint offset,
                                    guint limit, guint *ret_total);
/**
 * cmdb_option_list_get_size:
 *
 * Approximate bytes held, for the cache's bound.
 */
CMDB_AVAILABLE_IN_ALL
gsize cmdb_option_list_get_size (CmdbOptionList *list);

/* Boxed types, so bindings (Python plugins, docs/plugins.md) can hold them. */
#define CMDB_TYPE_OPTION_ENTRY (cmdb_option_entry_get_type ())
/**
 * cmdb_option_entry_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_option_entry_get_type (void) G_GNUC_CONST;
#define CMDB_TYPE_OPTION_LIST (cmdb_option_list_get_type ())
/**
 * cmdb_option_list_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_option_list_get_type (void) G_GNUC_CONST;

/**
 * cmdb_option_list_add_warning:
 * @list: the list
 * @path: (nullable): the file or directory concerned
 * @message: the sentence shown next to the field
 *
 * Adds a warning problem about @list's source (for bindings; C uses
 * cmdb_option_list_add_problem()).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_option_list_add_warning (CmdbOptionList *list, const char *path, const char *message);

/**
 * cmdb_option_list_add_yaml_dir:
 * @list: the list to append to
 * @context: the workspace context (its configs directory and cache)
 * @relative_dir: a directory under the configs directory, e.g. "model/necks"
 * @error: return location for an error
 *
 * Appends the stems of `<configs>/@relative_dir/ *.yaml`, in bytewise name
 * order, as entries whose file is the YAML file: the rule the built-in
 * registries apply to their preset directories. A missing directory is a
 * warning problem on @list, not an error.
 *
 * Returns: FALSE with @error only when the directory cannot be read.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_option_list_add_yaml_dir (CmdbOptionList *list, CmdbContext *context,
                                        const char *relative_dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbOptionEntry, cmdb_option_entry_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbOptionList, cmdb_option_list_unref)

#define CMDB_TYPE_OPTION_SOURCE (cmdb_option_source_get_type ())
CMDB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (CmdbOptionSource, cmdb_option_source, CMDB, OPTION_SOURCE, GObject)

/**
 * CmdbOptionSourceInterface::list_options:
 * @self: the provider
 * @context: the workspace
 * @source_id: one of the ids of the plugin's X-Sources key
 * @error: return location for an error
 *
 * Returns: (transfer full): the list, or NULL with @error set.
 */
struct _CmdbOptionSourceInterface
{
  GTypeInterface parent_iface;

  /* Required. Returns (transfer full) the list of @source_id, one of the
   * ids named in the plugin's X-Sources key. A missing directory is not an
   * error: it gives an empty list with a warning problem. NULL with @error
   * only when the source cannot be listed at all; NULL without @error (a
   * Python exception outside the helper base) is made an error by
   * cmdb_option_source_list_options(). */
  CmdbOptionList *(*list_options) (CmdbOptionSource *self, CmdbContext *context,
                                   const char *source_id, GError **error);
};

/**
 * cmdb_option_source_list_options:
 * @self: the provider
 * @context: the workspace context
 * @source_id: one of the ids in the plugin's X-Sources key
 * @error: return location for an error
 *
 * Calls the implementation.
 *
 * Returns: (transfer full): the list, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionList *cmdb_option_source_list_options (CmdbOptionSource *self, CmdbContext *context,
                                                 const char *source_id, GError **error);

G_END_DECLS
