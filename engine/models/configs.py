"""Named model configs, from a test-sized toy to the SV4D 2.0-sized model.

``v2`` / ``tiny_v2`` are ``SP4DTransformer`` configs (they have ``patch_size``); the others
``SP4DDualUNet`` configs. ``engine.models.loading.model_class`` tells them apart.

``compact``: what we train and ship (pixel space, 96 px, 8 views; ~5.3M parameters per
branch, 11.2M in all). No VAE: at 64-128 px a VAE's 8x downsampling would leave 8-16 px latents, too
coarse for fingers and ears, and the part maps are flat colour regions that pixel-space
diffusion models directly; pixel space also keeps CPU inference free of a decoder.
``full``: SV4D 2.0-like widths (320, 640, 1280, 1280), 576 px images as a 72x72x4 latent
of the shared VAE, 12 views x 4 frames. Instantiate it on the meta device only.
"""

COMPACT = dict(
    sample_size=96, num_views=8, num_frames=1, in_channels=3, out_channels=3, cond_channels=16,
    block_out_channels=(32, 64, 96, 128), layers_per_block=1,
    spatial_attention=(False, False, True, True), axis_attention=(False, True, True, True),
    attention_head_dim=32, ff_mult=2, norm_num_groups=16, camera_freqs=8, frame_freqs=4,
    bidifuse=True, latent_space=False, sigma_data=1.0,
)

# compact's UNet at 128 px: the same weights (the UNet reads H and W from its input), trained on
# at 128 px so parts a few pixels wide at 96 px (toes, fingers, robot plates) get 1.8x the pixels;
# fp16 file unchanged (22 MB), denoiser cost ~1.8x per sample
COMPACT128 = dict(COMPACT, sample_size=128)

# compact128 with two resnet + stage layers per level: 16.6 M parameters, 33 MB in fp16. Grown
# from a compact128 checkpoint with every trained weight kept and the new layers starting as
# identities (``engine.models.grow.deepen``), because the 11 M model has flattened
COMPACT128D = dict(COMPACT128, layers_per_block=2)

TINY = dict(COMPACT, sample_size=16, num_views=3, num_frames=2, block_out_channels=(32, 32),
            spatial_attention=(False, True), axis_attention=(True, True), attention_head_dim=16,
            norm_num_groups=8)

# Latent-space conditioning of the full model: input-frame latent (4) + known-view
# latents of RGB and normals (4 + 4) + depth/alpha downsampled (2) + view mask (1).
FULL = dict(
    sample_size=72, num_views=12, num_frames=4, in_channels=4, out_channels=4, cond_channels=15,
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
    spatial_attention=(True, True, True, False), axis_attention=(True, True, True, False),
    attention_head_dim=64, ff_mult=4, norm_num_groups=32, camera_freqs=8, frame_freqs=4,
    bidifuse=True, latent_space=True, sigma_data=1.0,
)

# SP4D v2 (``SP4DTransformer``): 128 px, patch 8 -> 16 x 16 tokens per view, width 320,
# 8 blocks alternating attention within a view and across all views; ~19.6 M parameters
# (39 MB in fp16). Why a transformer: see ``transformer_sp4d``; the step benchmark:
# ``benchmarks/bench_train_step.py``.
V2 = dict(
    sample_size=128, num_views=8, num_frames=1, in_channels=3, out_channels=3, cond_channels=16,
    patch_size=8, width=320, depth=8, num_heads=5, mlp_ratio=2.5, attention=("image", "views"),
    fuse_hidden=80, head_channels=16, camera_freqs=8, frame_freqs=4, bidifuse=True,
    latent_space=False, sigma_data=1.0,
)

# v2 with a full-resolution refinement branch (4 dilated 3x3 convolutions of 32 channels per
# branch, zero-started): v2's checkpoints load into it unchanged
V2R = dict(V2, refine_layers=4, refine_channels=32)

# v2 with a convolutional U-decoder beside each head (the input encoded at 128 / 64 / 32 px,
# the 16 x 16 token grid decoded up through those levels with skips; zero-started, so v2's
# checkpoints load into it unchanged)
V2U = dict(V2, decoder_channels=(16, 32, 64))

# v2 at patch 4: 32 x 32 tokens per view (the upper bound), so a token covers 4 x 4
# pixels and toes 2-4 px wide get tokens of their own; narrower (256) to keep memory and the
# fp16 file in budget. A candidate measured by ``bench_train_step.py`` before any training.
V2P4 = dict(V2, patch_size=4, width=256, num_heads=4, fuse_hidden=64)

TINY_V2 = dict(V2, sample_size=16, num_views=3, num_frames=2, patch_size=4, width=32, depth=2, num_heads=2,
               fuse_hidden=16, head_channels=4)

CONFIGS = {"compact": COMPACT, "compact128": COMPACT128, "compact128d": COMPACT128D, "tiny": TINY, "full": FULL, "v2": V2, "v2r": V2R, "v2u": V2U, "v2p4": V2P4, "tiny_v2": TINY_V2}
