! nnn_emulation: load a trained emulator of the burn step (TorchScript models
! exported by `python -m nnn.train`, one per dt) for a loaded network; Fortran
! side of include/nnn_emulator.h. `use nnn` gives this module too.
!
!   type(nnn_emulator_t) :: em
!   call nnn_load_emulator(em, net, 'run/models', ierr [, chain_dt, torch_threads, &
!                          sum_tolerance, negative_tolerance, dt_rtol, max_chain_steps])
!   call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, emulator=em, used_fallback=path)
!   call nnn_free_emulator(em)
!
! The burn calls of nnn_burning take the emulator as one optional, keyword
! argument: with `emulator=em` a zone is done by the emulator where dt is a
! trained dt and (T, rho, Ye) lie in the training domain and the output is
! sane, else by the integrator; `used_fallback` says which (NNN_PATH_*).
!
! A loaded nnn_emulator_t is immutable: share it among OpenMP threads like the
! network (load and set it up once, before the parallel region; free it once).
! It keeps its own reference to the network, but every burn call checks that
! the net passed with it is the network it was loaded for.
!
! libnnn built without libtorch: this module compiles and links all the same;
! nnn_emulator_available() is .false. and nnn_load_emulator fails with
! NNN_EMULATOR_FILE and a message saying so.
module nnn_emulation
  use, intrinsic :: iso_c_binding
  use nnn_capi, only: dp, NNN_OK, NNN_BAD_INPUT, NNN_PATH_EMULATOR, NNN_PATH_FALLBACK_DOMAIN, &
      NNN_PATH_FALLBACK_DT, NNN_PATH_FALLBACK_SANITY, nnn_emulator_config_c, &
      c_nnn_emulator_has_libtorch, c_nnn_emulator_load, c_nnn_emulator_free, &
      c_nnn_emulator_set_threads, c_nnn_emulator_set_config, c_nnn_emulator_get_config, &
      c_nnn_emulator_n_models, c_nnn_emulator_model, nnn_f_clear_error, set_error, to_c_string, &
      itoa
  use nnn_network, only: nnn_network_t, nnn_network_c_ptr
  implicit none
  private

  public :: NNN_PATH_EMULATOR, NNN_PATH_FALLBACK_DOMAIN, NNN_PATH_FALLBACK_DT, NNN_PATH_FALLBACK_SANITY
  public :: NNN_PATH_NONE
  public :: nnn_emulator_t, nnn_load_emulator, nnn_free_emulator, nnn_emulator_available
  public :: nnn_emulator_loaded, nnn_emulator_n_models, nnn_emulator_model_info, nnn_emulator_c_ptr

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

  !> Loads the emulator models in path for net: one model file (*.pt), a
  !> directory (every *.pt in it), or several of either separated by ':'.
  !> Every model's isotope list and network hash must match net.
  !>   ierr  NNN_OK; NNN_EMULATOR_FILE (missing, corrupt or mismatched model,
  !>         or libnnn built without libtorch); NNN_BAD_INPUT (net not
  !>         loaded, empty path, invalid setting). On failure em is not loaded.
  !> Optional settings (defaults of include/nnn_emulator.h):
  !>   chain_dt            .true.: a dt that is k times a trained dt is done as
  !>                       k emulator steps (default .false.: integrator)
  !>   torch_threads       libtorch threads per inference call (0: all cores;
  !>                       use 1 when calling from an OpenMP loop over zones)
  !>   sum_tolerance       |sum X - 1| above this: fallback (1e-4)
  !>   negative_tolerance  X_i < -this: fallback (1e-6)
  !>   dt_rtol             dt is a trained dt within this relative distance (1e-9)
  !>   max_chain_steps     largest k of chain_dt (1000)
  !> A loaded em is freed first.
  subroutine nnn_load_emulator(em, net, path, ierr, chain_dt, torch_threads, sum_tolerance, &
      negative_tolerance, dt_rtol, max_chain_steps)
    type(nnn_emulator_t), intent(inout) :: em
    type(nnn_network_t), intent(in) :: net
    character(len=*), intent(in) :: path
    integer, intent(out) :: ierr
    logical, intent(in), optional :: chain_dt
    integer, intent(in), optional :: torch_threads
    real(dp), intent(in), optional :: sum_tolerance, negative_tolerance, dt_rtol
    integer, intent(in), optional :: max_chain_steps
    type(c_ptr) :: h
    type(nnn_emulator_config_c) :: cfg

    call nnn_f_clear_error()
    call nnn_free_emulator(em)
    if (.not. c_associated(nnn_network_c_ptr(net))) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
      return
    end if
    if (len_trim(path) == 0) then
      ierr = set_error(NNN_BAD_INPUT, "path = '' is empty: give a model file, a directory of models, " // &
          "or several separated by ':'")
      return
    end if
    if (present(torch_threads)) then
      if (torch_threads < 0) then
        ierr = set_error(NNN_BAD_INPUT, 'torch_threads = ' // itoa(torch_threads) // &
            ' must be >= 0 (0: all cores)')
        return
      end if
    end if
    ierr = int(c_nnn_emulator_load(nnn_network_c_ptr(net), to_c_string(path), h))
    if (ierr /= NNN_OK) return

    if (present(chain_dt) .or. present(sum_tolerance) .or. present(negative_tolerance) .or. &
        present(dt_rtol) .or. present(max_chain_steps)) then
      ierr = int(c_nnn_emulator_get_config(h, cfg))
      if (ierr == NNN_OK) then
        if (present(chain_dt)) cfg%chain_dt = merge(1_c_int, 0_c_int, chain_dt)
        if (present(sum_tolerance)) cfg%sum_tolerance = sum_tolerance
        if (present(negative_tolerance)) cfg%negative_tolerance = negative_tolerance
        if (present(dt_rtol)) cfg%dt_rtol = dt_rtol
        if (present(max_chain_steps)) cfg%max_chain_steps = int(max_chain_steps, c_int)
        ierr = int(c_nnn_emulator_set_config(h, cfg))
      end if
    end if
    if (ierr == NNN_OK .and. present(torch_threads)) &
        ierr = int(c_nnn_emulator_set_threads(h, int(torch_threads, c_int)))
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

  !> Number of models (one per trained dt); 0 if em is not loaded.
  integer function nnn_emulator_n_models(em)
    type(nnn_emulator_t), intent(in) :: em
    integer(c_int) :: n
    nnn_emulator_n_models = 0
    if (.not. c_associated(em%handle)) return
    if (c_nnn_emulator_n_models(em%handle, n) == NNN_OK) nnn_emulator_n_models = int(n)
  end function nnn_emulator_n_models

  !> Trained dt (s) and training domain of model i (1-based, sorted by dt):
  !> logT(2), logrho(2) = [lo, hi] of log10 T (K), log10 rho (g/cm^3); Ye(2).
  subroutine nnn_emulator_model_info(em, i, dt, ierr, logT, logrho, Ye)
    type(nnn_emulator_t), intent(in) :: em
    integer, intent(in) :: i
    real(dp), intent(out) :: dt
    integer, intent(out) :: ierr
    real(dp), intent(out), optional :: logT(2), logrho(2), Ye(2)
    real(c_double) :: lt(2), lr(2), ye_c(2), dt_c
    call nnn_f_clear_error()
    dt = 0
    if (.not. c_associated(em%handle)) then
      ierr = set_error(NNN_BAD_INPUT, 'emulator is not loaded (call nnn_load_emulator first)')
      return
    end if
    if (i < 1 .or. i > nnn_emulator_n_models(em)) then
      ierr = set_error(NNN_BAD_INPUT, 'model index i = ' // itoa(i) // ' is out of range [1, ' // &
          itoa(nnn_emulator_n_models(em)) // ']')
      return
    end if
    ierr = int(c_nnn_emulator_model(em%handle, int(i - 1, c_int), dt_c, lt, lr, ye_c))
    if (ierr /= NNN_OK) return
    dt = dt_c
    if (present(logT)) logT = lt
    if (present(logrho)) logrho = lr
    if (present(Ye)) Ye = ye_c
  end subroutine nnn_emulator_model_info

end module nnn_emulation
