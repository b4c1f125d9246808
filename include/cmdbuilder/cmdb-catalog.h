/* cmdb-catalog.h: the workspace's model metadata, built into the core.
 *
 * Architectures, optimizers and preprocessing profiles are not registry
 * plugins: every page's form consults the selected architecture's
 * ui_metadata (filters, defaults, help) and every registry plugin needs the
 * architectures' compatible_* lists, so the metadata is one shared core
 * service instead of a plugin every other plugin would depend on.
 *
 * Files (relative to the workspace's configs directory):
 *   model/architectures/<arch>.yaml        one architecture each (stem = name)
 *   ui_meta/architectures/<arch>.yaml      optional ui_metadata (wrapped in
 *                                          `ui_metadata:` or flat)
 *   model/optimizers/<opt>.yaml            one optimizer each
 *   ui_meta/optimizers/<opt>.yaml          optional ui_metadata
 *   ui_meta/preprocessing_profiles.yaml    `profiles:` map
 *
 * Catalogs are computed through the cache and shared; they are immutable.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include "cmdb-yaml.h"
#include "cmdb-problem.h"

G_BEGIN_DECLS

typedef struct _CmdbContext CmdbContext;

/* One architecture or optimizer. */
typedef struct
{
  char *name;
  char *config_file;               /* model/architectures/<name>.yaml */
  char *meta_file;                 /* (nullable) ui_meta file when it exists */
  const CmdbYamlNode *ui_metadata; /* (nullable) the metadata mapping, unwrapped */
  const CmdbYamlNode *config;      /* (nullable) root of config_file */
} CmdbCatalogItem;

typedef struct
{
  char *key;            /* "lens_style" */
  char *label;          /* from the file, or the key title-cased */
  char *description;    /* "" when absent */
  GPtrArray *overrides; /* (element-type utf8) Hydra tokens, file order */
} CmdbProfile;

typedef struct _CmdbCatalog CmdbCatalog;

#define CMDB_TYPE_CATALOG (cmdb_catalog_get_type ())
/**
 * cmdb_catalog_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_catalog_get_type (void) G_GNUC_CONST;

/**
 * cmdb_context_get_architectures:
 *
 * Returns: (transfer full): the architectures, in name order (bytewise). A missing directory gives
 *   an empty catalog with a warning; a file that fails to parse gives an error problem and the
 *   item without metadata; neither fails the call. NULL with @error only on I/O errors of another
 *   kind.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCatalog *cmdb_context_get_architectures (CmdbContext *context, GError **error);
/**
 * cmdb_context_get_optimizers:
 *
 * Returns: (transfer full): the optimizers, same rules.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCatalog *cmdb_context_get_optimizers (CmdbContext *context, GError **error);

/**
 * cmdb_catalog_ref:
 * @catalog: the object
 *
 * Returns: (transfer full): @catalog, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCatalog *cmdb_catalog_ref (CmdbCatalog *catalog);
/**
 * cmdb_catalog_unref:
 * @catalog: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_catalog_unref (CmdbCatalog *catalog);
/**
 * cmdb_catalog_get_n_items:
 * @catalog: the catalog
 *
 * Returns: how many items it holds.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_catalog_get_n_items (CmdbCatalog *catalog);
/**
 * cmdb_catalog_get_item:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbCatalogItem *cmdb_catalog_get_item (CmdbCatalog *catalog, guint index);
/**
 * cmdb_catalog_lookup:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbCatalogItem *cmdb_catalog_lookup (CmdbCatalog *catalog, const char *name);
/**
 * cmdb_catalog_get_problems:
 *
 * Returns: (transfer none) (element-type CmdbProblem):
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_catalog_get_problems (CmdbCatalog *catalog);

/**
 * cmdb_catalog_item_get_strings:
 *
 * Returns: (transfer full) (element-type utf8): the strings at @dotted_path of the item's
 *   ui_metadata; a scalar counts as a one-item list; empty when absent.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_catalog_item_get_strings (const CmdbCatalogItem *item, const char *dotted_path);

/**
 * cmdb_context_get_profiles:
 * @problems: (element-type CmdbProblem): where problems are appended
 *
 * Returns: (transfer full) (element-type CmdbProfile): the preprocessing profiles in file order,
 *   with `none` first-added when the file lacks it. A missing file gives just `none`. Problems go
 *   to @problems (element-type CmdbProblem).
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_context_get_profiles (CmdbContext *context, GPtrArray *problems, GError **error);
/**
 * cmdb_profile_free:
 * @profile: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_profile_free (CmdbProfile *profile);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCatalog, cmdb_catalog_unref)

G_END_DECLS
