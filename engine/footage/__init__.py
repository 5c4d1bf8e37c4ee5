"""From footage: rig an object seen only in a video.

Stages in pipeline order, one module each:
  intake.py       video / image folder -> T object-centred RGBA frames (OpenCV)
  generate.py     SP4D "footage" mode -> V novel views x T frames of RGB + part maps
  reconstruct.py  visual hull -> marching cubes -> Taubin -> vertex colours
  motion.py       part tracks over the T frames -> joints at observed pivots
  pipeline.py     ``rig_footage(source, options, progress) -> FootageResult``
"""

from .pipeline import FootageOptions, FootageResult, rig_footage

__all__ = ["rig_footage", "FootageOptions", "FootageResult"]
