"""The 2-D counterpart of :class:`~structkit.core.measurement.Measurement`: an image or a stack of frames.

An :class:`ImageStack` is what an HRTEM reader returns: ``n`` frames of
``ny × nx`` pixels (a single image is a stack of one), the pixel size in Å,
the electron dose per frame (e⁻/Å²) or the dose rate and frame time it follows
from, and the same sample / conditions / source keys as a Measurement.

The frames are not copied: ``data`` may be a memory map of a large file
(``tifffile.memmap``, ``mrcfile.mmap``), and analyses read one frame at a time
with :meth:`ImageStack.frame`, so a 100 × 2048 × 2048 stack never has to sit in
memory as float64.

Examples
--------
>>> import numpy as np
>>> s = ImageStack(np.zeros((4, 8, 8), dtype=np.float32), pixel_size_angstrom=0.5,
...                dose_rate_e_per_A2_per_s=20.0, frame_time_s=0.25, sample="NNB")
>>> s.n_frames, s.shape, s.dose_per_frame_e_per_A2
(4, (8, 8), 5.0)
>>> s.accumulated_dose_e_per_A2.tolist()
[5.0, 10.0, 15.0, 20.0]
>>> s.binned(2).accumulated_dose_e_per_A2.tolist()
[10.0, 20.0]
>>> ImageStack(np.zeros((8, 8)), source="a.tif").require_pixel_size()
Traceback (most recent call last):
...
structkit.core.errors.DataError: a.tif: the pixel size is missing (the file has no calibration); give it with pixel_size_angstrom= (CLI: --pixel-size-A)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataError
from .frozen import FrozenMap
from .measurement import frozen_conditions

__all__ = ["ImageStack"]


def _positive(value, name: str, src: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} is not a number ({value!r})", path=src or None) from None
    if not np.isfinite(v) or v <= 0:
        raise DataError(f"{name} must be a positive finite number, got {value!r}", path=src or None)
    return v


@dataclass(frozen=True, eq=False)
class ImageStack:
    """A validated stack of image frames with its calibration and dose.

    Parameters
    ----------
    data : array_like, shape (n, ny, nx) or (ny, nx)
        Frames, any real numeric dtype. A 2-D array is one frame. Not copied
        (a memory map stays a memory map); an ndarray is made read-only.
    pixel_size_angstrom : float, optional
        Real-space pixel size (Å per pixel, square pixels). Needed for any
        d-spacing; :meth:`require_pixel_size` raises a clear error without it.
    dose_per_frame_e_per_A2 : float, optional
        Electron dose of one frame (e⁻/Å²). If not given, it is
        ``dose_rate_e_per_A2_per_s × frame_time_s`` when both are known.
    dose_rate_e_per_A2_per_s, frame_time_s : float, optional
        Dose rate at the specimen and exposure time of one frame.
    initial_dose_e_per_A2 : float
        Dose the area had received before the first frame (search, focus).
    voltage_kV : float, optional
        Accelerating voltage (metadata; kept for the record and reports).
    sample, conditions, technique, source, meta
        As in :class:`~structkit.core.measurement.Measurement`.
    """

    data: Any
    pixel_size_angstrom: float | None = None
    dose_per_frame_e_per_A2: float | None = None
    dose_rate_e_per_A2_per_s: float | None = None
    frame_time_s: float | None = None
    initial_dose_e_per_A2: float = 0.0
    voltage_kV: float | None = None
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    technique: str = "tem"
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        src = str(self.source or "")
        object.__setattr__(self, "source", src)
        data = self.data
        if not hasattr(data, "shape") or not hasattr(data, "dtype"):
            data = np.asarray(data)
        if data.ndim == 2:
            data = data[None, ...]
        if data.ndim != 3:
            raise DataError(f"an image must be 2-D (ny, nx) or a stack (n, ny, nx), got shape "
                            f"{tuple(data.shape)}", path=src or None)
        if np.dtype(data.dtype).kind not in "biuf":
            raise DataError(f"image values are not real numbers (dtype {data.dtype}); convert them "
                            "(complex or RGB images are not HRTEM intensities)", path=src or None)
        n, ny, nx = (int(v) for v in data.shape)
        if n == 0 or ny < 2 or nx < 2:
            raise DataError(f"the image is empty (shape {tuple(data.shape)})", path=src or None)
        if isinstance(data, np.ndarray) and data.flags.writeable and not isinstance(data, np.memmap):
            data = data.view()
            data.setflags(write=False)
        object.__setattr__(self, "data", data)
        for name in ("pixel_size_angstrom", "dose_per_frame_e_per_A2", "dose_rate_e_per_A2_per_s",
                     "frame_time_s", "voltage_kV"):
            object.__setattr__(self, name, _positive(getattr(self, name), name, src))
        d0 = float(self.initial_dose_e_per_A2 or 0.0)
        if not np.isfinite(d0) or d0 < 0:
            raise DataError(f"initial_dose_e_per_A2 must be >= 0, got {self.initial_dose_e_per_A2!r}",
                            path=src or None)
        object.__setattr__(self, "initial_dose_e_per_A2", d0)
        if (self.dose_per_frame_e_per_A2 is None and self.dose_rate_e_per_A2_per_s is not None
                and self.frame_time_s is not None):
            object.__setattr__(self, "dose_per_frame_e_per_A2",
                               self.dose_rate_e_per_A2_per_s * self.frame_time_s)
        object.__setattr__(self, "conditions", frozen_conditions(self.conditions, src))
        object.__setattr__(self, "meta", FrozenMap(dict(self.meta)))

    # -- shape -------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) of one frame."""
        return int(self.data.shape[1]), int(self.data.shape[2])

    def __len__(self) -> int:
        return self.n_frames

    def frame(self, i: int, dtype=np.float64) -> np.ndarray:
        """Frame ``i`` as a new float array (checked finite)."""
        if not -self.n_frames <= i < self.n_frames:
            raise IndexError(f"frame {i} out of range for a stack of {self.n_frames}")
        f = np.asarray(self.data[i], dtype=dtype)
        if not np.isfinite(f).all():
            bad = int((~np.isfinite(f)).sum())
            raise DataError(f"frame {i} has {bad} non-finite pixel(s); mask or fill them before the FFT",
                            path=self.source or None)
        return f

    def frames(self, dtype=np.float64):
        """Iterate over the frames, one at a time."""
        for i in range(self.n_frames):
            yield self.frame(i, dtype=dtype)

    # -- calibration and dose ----------------------------------------------
    def require_pixel_size(self) -> float:
        """The pixel size (Å), or a :class:`DataError` saying how to give it."""
        if self.pixel_size_angstrom is None:
            raise DataError("the pixel size is missing (the file has no calibration); give it with "
                            "pixel_size_angstrom= (CLI: --pixel-size-A)", path=self.source or None)
        return self.pixel_size_angstrom

    def require_dose(self) -> float:
        """The dose per frame (e⁻/Å²), or a :class:`DataError` saying how to give it."""
        if self.dose_per_frame_e_per_A2 is None:
            raise DataError("the dose per frame is unknown; give dose_per_frame_e_per_A2= "
                            "(CLI: --dose-per-frame) or the dose rate and the frame time",
                            path=self.source or None)
        return self.dose_per_frame_e_per_A2

    @property
    def accumulated_dose_e_per_A2(self) -> np.ndarray:
        """Dose received by the end of each frame (e⁻/Å²), including ``initial_dose_e_per_A2``."""
        d = self.require_dose()
        return self.initial_dose_e_per_A2 + d * np.arange(1, self.n_frames + 1, dtype=float)

    @property
    def mid_frame_dose_e_per_A2(self) -> np.ndarray:
        """Dose at the middle of each frame's exposure (what a frame's lattice reflects)."""
        return self.accumulated_dose_e_per_A2 - 0.5 * self.require_dose()

    # -- new stacks ------------------------------------------------------------
    def replace(self, **changes) -> "ImageStack":
        """A new, re-validated ImageStack with some fields changed."""
        return dataclasses.replace(self, **changes)

    def binned(self, n: int) -> "ImageStack":
        """Sum consecutive groups of ``n`` frames (a trailing partial group is dropped).

        The dose per frame scales with ``n``; the frame time too.
        """
        n = int(n)
        if n < 1:
            raise DataError(f"binning must be >= 1, got {n}", path=self.source or None)
        if n == 1:
            return self
        m = self.n_frames // n
        if m == 0:
            raise DataError(f"cannot bin {self.n_frames} frame(s) by {n}", path=self.source or None)
        out = np.empty((m,) + self.shape, dtype=np.float32)
        for j in range(m):
            acc = np.zeros(self.shape, dtype=np.float64)
            for i in range(j * n, (j + 1) * n):
                acc += self.frame(i)
            out[j] = acc
        return self.replace(
            data=out,
            dose_per_frame_e_per_A2=None if self.dose_per_frame_e_per_A2 is None else self.dose_per_frame_e_per_A2 * n,
            frame_time_s=None if self.frame_time_s is None else self.frame_time_s * n,
        )

    def summed(self, start: int = 0, stop: int | None = None) -> "ImageStack":
        """One image: the sum of frames ``start:stop`` (a motion-uncorrected frame sum)."""
        idx = range(self.n_frames)[slice(start, stop)]
        if len(idx) == 0:
            raise DataError(f"no frames in {start}:{stop} of a stack of {self.n_frames}",
                            path=self.source or None)
        acc = np.zeros(self.shape, dtype=np.float64)
        for i in idx:
            acc += self.frame(i)
        dose = None if self.dose_per_frame_e_per_A2 is None else self.dose_per_frame_e_per_A2 * len(idx)
        before = self.initial_dose_e_per_A2 + (0.0 if self.dose_per_frame_e_per_A2 is None
                                               else self.dose_per_frame_e_per_A2 * idx[0])
        return self.replace(data=acc[None], dose_per_frame_e_per_A2=dose, initial_dose_e_per_A2=before,
                            frame_time_s=None if self.frame_time_s is None else self.frame_time_s * len(idx))

    def __repr__(self) -> str:
        px = "?" if self.pixel_size_angstrom is None else f"{self.pixel_size_angstrom:g} Å"
        dose = "" if self.dose_per_frame_e_per_A2 is None else f", {self.dose_per_frame_e_per_A2:g} e/Å²/frame"
        name = f" {self.sample!r}" if self.sample else ""
        return (f"<ImageStack{name}: {self.n_frames} × {self.shape[0]}×{self.shape[1]} px, "
                f"pixel {px}{dose}{', ' + self.source if self.source else ''}>")
