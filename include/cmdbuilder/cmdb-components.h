/* cmdb-components.h: the shared "component registry" behind the model
 * family sources.
 *
 * The registry plugins (plugins/registries/: encoders, decoders, heads,
 * losses) are thin wrappers around cmdb_component_source_list(): the rules
 * are the same for every kind and live here once.
 *
 * A component list of kind K (encoder, decoder, head, loss) is, in order,
 * first occurrence winning:
 *   1. the stems of configs/preset/models/K/ *.yaml in bytewise name order;
 *   2. for each architecture in name order (cmdb-catalog.h), the names in its
 *      ui_metadata `components.K`, then `default_K`, then `compatible_Ks`
 *      in list order.
 * Backbones (models.backbones) are: the `backbones:` list of
 * configs/ui_meta/backbones.yaml when that file exists, else the seven
 * built-in timm names when configs/preset/models/encoder/timm_backbone.yaml
 * exists; then step 2 with K = backbone. docs/sources.md has the details.
 *
 * Each entry's file is the preset file (NULL for names that only
 * architectures give), its architectures are those whose compatible_Ks list
 * it, and its metadata has `origin`: "preset", "architecture",
 * "backbones-file" or "built-in".
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib.h>
#include "cmdb-option-source.h"

G_BEGIN_DECLS

typedef enum
{
  CMDB_COMPONENT_ENCODER,
  CMDB_COMPONENT_DECODER,
  CMDB_COMPONENT_HEAD,
  CMDB_COMPONENT_LOSS,
  CMDB_COMPONENT_BACKBONE,
} CmdbComponentKind;

/**
 * cmdb_component_kind_to_string:
 *
 * Returns: (transfer none): "encoder", "decoder", "head", "loss" or "backbone".
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_component_kind_to_string (CmdbComponentKind kind);

/**
 * cmdb_component_kind_for_source:
 * @source_id: a source id
 * @ret_kind: (out) (optional): its kind
 *
 * TRUE when @source_id is one of the standard component sources (models.encoders,
 * models.backbones, models.decoders, models.heads, models.losses); its kind goes to @ret_kind
 * (nullable).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_component_kind_for_source (const char *source_id, CmdbComponentKind *ret_kind);

/**
 * cmdb_component_source_list:
 *
 * Returns: (transfer full): the list of components of @kind, named @source_id, computed through
 *   @context's cache (key "source:<id>:<kind>:<configs dir>") and shared: recomputed only when a
 *   file or directory it came from changed. Missing directories give warning problems, broken
 *   architecture metadata error problems; neither fails the call. NULL with @error only when the
 *   list cannot be built at all.
 */
CMDB_AVAILABLE_IN_ALL
CmdbOptionList *cmdb_component_source_list (CmdbContext *context, CmdbComponentKind kind,
                                            const char *source_id, GError **error);

G_END_DECLS
