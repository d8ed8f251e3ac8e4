! nnn_emulation: load the trained emulator of the burn step of a loaded
! network (one TorchScript model per network, format nnn-emulator-2, for every
! dt in its range; exported by `python -m nnn.train`); Fortran side of
! include/nnn_emulator.h. `use nnn` gives this module too.
!
!   type(nnn_emulator_t) :: em
!   call nnn_load_emulator(em, net, 'mesa_80', ierr [, max_error, torch_threads, ...])
!   call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, emulator=em, used_fallback=path, err=err)
!   call nnn_free_emulator(em)
!
! The burn calls of nnn_burning take the emulator as one optional, keyword
! argument: with `emulator=em` a zone is done by the emulator where (T, rho,
! Ye, dt) lie in the model's domain and its output passes the checks (sanity,
! max_error on its own error estimate, energy consistency, the weak-rate
! |dYe| bound), else by the integrator; `used_fallback` says which
! (NNN_PATH_*), `err` gives the model's error estimate.
!
! A loaded nnn_emulator_t is immutable: share it among OpenMP threads like the
! network (load and set it up once, before the parallel region; free it once).
! Each inference runs on torch_threads libtorch threads (default 1), so an
! OpenMP loop over zones does not oversubscribe the cores.
! It keeps its own reference to the network, but every burn call checks that
! the net passed with it is the network it was loaded for.
!
! libnnn built without libtorch: this module compiles and links all the same;
! nnn_emulator_available() is .false. and nnn_load_emulator fails with
! NNN_EMULATOR_FILE and a message saying so.
module nnn_emulation
  use, intrinsic :: iso_c_binding
  use nnn_capi, only: dp, NNN_OK, NNN_BAD_INPUT, NNN_PATH_EMULATOR, NNN_PATH_FALLBACK_DOMAIN, &
      NNN_PATH_FALLBACK_DT, NNN_PATH_FALLBACK_SANITY, NNN_PATH_FALLBACK_ENERGY, NNN_PATH_FALLBACK_DYE, &
      NNN_PATH_FALLBACK_ERROR, NNN_PATH_FALLBACK_MODEL, NNN_PATH_FALLBACK_YE_CHANGE, nnn_emulator_config_c, &
      c_nnn_emulator_has_libtorch, c_nnn_emulator_load, c_nnn_emulator_free, &
      c_nnn_emulator_set_config, c_nnn_emulator_get_config, c_nnn_emulator_model, &
      nnn_f_clear_error, set_error, to_c_string
  use nnn_network, only: nnn_network_t, nnn_network_c_ptr
  implicit none
  private

  public :: NNN_PATH_EMULATOR, NNN_PATH_FALLBACK_DOMAIN, NNN_PATH_FALLBACK_DT, NNN_PATH_FALLBACK_SANITY
  public :: NNN_PATH_FALLBACK_ENERGY, NNN_PATH_FALLBACK_DYE, NNN_PATH_FALLBACK_ERROR
  public :: NNN_PATH_FALLBACK_MODEL, NNN_PATH_FALLBACK_YE_CHANGE, NNN_PATH_NONE
  public :: nnn_emulator_t, nnn_load_emulator, nnn_free_emulator, nnn_emulator_available
  public :: nnn_emulator_loaded, nnn_emulator_domain, nnn_emulator_c_ptr

  !> used_fallback when no emulator decided the zone: `emulator=` was not
  !> passed (the integrator was called directly), or the call was rejected
  !> before any work (invalid input). Fortran only; not a C enum value.
  integer, parameter :: NNN_PATH_NONE = -1

  !> Handle of a loaded emulator (opaque; copy it freely, free it once).
  type :: nnn_emulator_t
    type(c_ptr), private :: handle = c_null_ptr
  end type nnn_emulator_t

contains

  !> .true. if libnnn was built with libtorch (else every load fails).
  logical function nnn_emulator_available()
    nnn_emulator_available = c_nnn_emulator_has_libtorch() /= 0
  end function nnn_emulator_available

  !> The C handle (nnn_emulator*) of em, for code that also calls include/nnn_emulator.h.
  pure type(c_ptr) function nnn_emulator_c_ptr(em)
    type(nnn_emulator_t), intent(in) :: em
    nnn_emulator_c_ptr = em%handle
  end function nnn_emulator_c_ptr

  !> .true. if em holds a loaded emulator.
  logical function nnn_emulator_loaded(em)
    type(nnn_emulator_t), intent(in) :: em
    nnn_emulator_loaded = c_associated(em%handle)
  end function nnn_emulator_loaded

  !> Loads the emulator of net: model is a model file (*.pt) or a network
  !> name ('mesa_80') for its shipped model emulators/<name>.pt, searched like
  !> network files ($NNN_NETWORK_DATA, the installed and the source
  !> network_data). Its isotope list and network hash must match net.
  !>   ierr  NNN_OK; NNN_EMULATOR_FILE (missing, corrupt, old-format
  !>         (nnn-emulator-1) or mismatched model, or libnnn built without
  !>         libtorch); NNN_BAD_INPUT (net not loaded, empty model, invalid
  !>         setting: the message names it). On failure em is not loaded.
  !> Optional settings (defaults of include/nnn_emulator.h):
  !>   max_error           err above this: fallback (default 0: no threshold)
  !>   max_dye             the step's |Ye - Ye0| / Ye0 above this: fallback
  !>                       (default 0: no threshold)
  !>   torch_threads       libtorch threads per inference call (default 1; 0:
  !>                       libtorch's own setting)
  !>   check_energy, check_dye  the energy and |dYe| checks (default .true.)
  !>   energy_rtol, energy_dx   energy tolerance (0.9, 1e-3)
  !>   dye_safety, dye_atol     |dYe| bound factor and floor (10, 1e-6)
  !>   sum_tolerance       |sum X - 1| above this: fallback (1e-4)
  !>   negative_tolerance  X_i < -this: fallback (1e-6)
  !> A loaded em is freed first.
  subroutine nnn_load_emulator(em, net, model, ierr, max_error, torch_threads, check_energy, check_dye, &
      energy_rtol, energy_dx, dye_safety, dye_atol, sum_tolerance, negative_tolerance, max_dye)
    type(nnn_emulator_t), intent(inout) :: em
    type(nnn_network_t), intent(in) :: net
    character(len=*), intent(in) :: model
    integer, intent(out) :: ierr
    real(dp), intent(in), optional :: max_error
    integer, intent(in), optional :: torch_threads
    logical, intent(in), optional :: check_energy, check_dye
    real(dp), intent(in), optional :: energy_rtol, energy_dx, dye_safety, dye_atol
    real(dp), intent(in), optional :: sum_tolerance, negative_tolerance, max_dye
    type(c_ptr) :: h
    type(nnn_emulator_config_c) :: cfg

    call nnn_f_clear_error()
    call nnn_free_emulator(em)
    if (.not. c_associated(nnn_network_c_ptr(net))) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
      return
    end if
    if (len_trim(model) == 0) then
      ierr = set_error(NNN_BAD_INPUT, "model = '' is empty: give a model file or a network name")
      return
    end if
    ierr = int(c_nnn_emulator_load(nnn_network_c_ptr(net), to_c_string(model), h))
    if (ierr /= NNN_OK) return

    ierr = int(c_nnn_emulator_get_config(h, cfg))
    if (ierr == NNN_OK) then
      if (present(max_error)) cfg%max_error = max_error
      if (present(max_dye)) cfg%max_dye = max_dye
      if (present(torch_threads)) cfg%torch_threads = int(torch_threads, c_int)
      if (present(check_energy)) cfg%check_energy = merge(1_c_int, 0_c_int, check_energy)
      if (present(check_dye)) cfg%check_dye = merge(1_c_int, 0_c_int, check_dye)
      if (present(energy_rtol)) cfg%energy_rtol = energy_rtol
      if (present(energy_dx)) cfg%energy_dx = energy_dx
      if (present(dye_safety)) cfg%dye_safety = dye_safety
      if (present(dye_atol)) cfg%dye_atol = dye_atol
      if (present(sum_tolerance)) cfg%sum_tolerance = sum_tolerance
      if (present(negative_tolerance)) cfg%negative_tolerance = negative_tolerance
      ierr = int(c_nnn_emulator_set_config(h, cfg))  ! checks every setting, names a bad one
    end if
    if (ierr /= NNN_OK) then
      call c_nnn_emulator_free(h)  ! the message of the failed setting stays
      return
    end if
    em%handle = h
  end subroutine nnn_load_emulator

  !> Frees the emulator (no-op if not loaded). Copies of em become invalid.
  subroutine nnn_free_emulator(em)
    type(nnn_emulator_t), intent(inout) :: em
    if (c_associated(em%handle)) call c_nnn_emulator_free(em%handle)
    em%handle = c_null_ptr
  end subroutine nnn_free_emulator

  !> The model's domain, each (2) = [lo, hi]: logT = log10 T (K),
  !> logrho = log10 rho (g/cm^3), Ye, logdt = log10 dt (s) (the dts it emulates).
  subroutine nnn_emulator_domain(em, ierr, logT, logrho, Ye, logdt)
    type(nnn_emulator_t), intent(in) :: em
    integer, intent(out) :: ierr
    real(dp), intent(out), optional :: logT(2), logrho(2), Ye(2), logdt(2)
    real(c_double) :: lt(2), lr(2), ye_c(2), ldt(2)
    call nnn_f_clear_error()
    if (.not. c_associated(em%handle)) then
      ierr = set_error(NNN_BAD_INPUT, 'emulator is not loaded (call nnn_load_emulator first)')
      return
    end if
    ierr = int(c_nnn_emulator_model(em%handle, lt, lr, ye_c, ldt))
    if (ierr /= NNN_OK) return
    if (present(logT)) logT = lt
    if (present(logrho)) logrho = lr
    if (present(Ye)) Ye = ye_c
    if (present(logdt)) logdt = ldt
  end subroutine nnn_emulator_domain

end module nnn_emulation
