/* cmdb-checkpoint-origin.h: what a checkpoint says about the model that
 * made it, for the bundled Test and Predict pages (their infer_values). */
#pragma once

#include <cmdbuilder/cmdbuilder.h>

G_BEGIN_DECLS

/* (transfer full) (nullable): {architecture, decoder, encoder} of the run
 * that wrote the checkpoint in @values' checkpoint_path, read from its
 * experiment directory (outputs/<experiment>/checkpoints/<file>): the
 * -<architecture>-<decoder>-<encoder> suffix the Train page adds to the
 * experiment name, with an architecture of the workspace's catalog. NULL
 * when there is no checkpoint or its experiment name carries no suffix. */
JsonObject *cmdb_checkpoint_origin_infer (CmdbContext *context, JsonObject *values);

G_END_DECLS
