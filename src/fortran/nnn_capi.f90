! nnn_capi: raw iso_c_binding interfaces to include/nnn.h and
! include/nnn_emulator.h, plus the helpers the public modules (nnn_network,
! nnn_emulation, nnn_burning) share. Not meant to be used
! directly by applications: `use nnn` instead.
module nnn_capi
  use, intrinsic :: iso_c_binding
  implicit none
  private

  !> Real kind of every floating-point argument (= MESA's dp on gfortran/ifx).
  integer, parameter, public :: dp = c_double

  ! Status codes: same values as enum nnn_status in nnn.h.
  integer, parameter, public :: NNN_OK = 0
  integer, parameter, public :: NNN_BAD_INPUT = 1
  integer, parameter, public :: NNN_NETWORK_FILE = 2
  integer, parameter, public :: NNN_INTEGRATOR_FAILED = 3
  integer, parameter, public :: NNN_EMULATOR_FILE = 4
  integer, parameter, public :: NNN_INTERNAL = 5
  integer, parameter, public :: NNN_OUT_OF_DOMAIN = 6  ! a self-heating T left the rates' range, or captures the network's physics

  !> struct nnn_options
  type, bind(C), public :: nnn_options_c
    real(c_double) :: rtol
    real(c_double) :: atol
    integer(c_long) :: max_steps
  end type nnn_options_c

  !> struct nnn_zone_info (include/nnn.h)
  type, bind(C), public :: nnn_zone_info_c
    integer(c_long) :: n_steps
    integer(c_int) :: table_clamped
    real(c_double) :: mass_drift
  end type nnn_zone_info_c

  !> struct nnn_emulator_config (include/nnn_emulator.h)
  type, bind(C), public :: nnn_emulator_config_c
    real(c_double) :: sum_tolerance
    real(c_double) :: negative_tolerance
    real(c_double) :: max_error
    real(c_double) :: max_dye
    real(c_double) :: energy_rtol
    real(c_double) :: energy_dx
    real(c_double) :: dye_safety
    real(c_double) :: dye_atol
    integer(c_int) :: check_energy
    integer(c_int) :: check_dye
    integer(c_int) :: torch_threads
    integer(c_int) :: batch_size
  end type nnn_emulator_config_c

  ! enum nnn_emulator_path: value of used_fallback per zone.
  integer, parameter, public :: NNN_PATH_EMULATOR = 0         ! the emulator's result
  integer, parameter, public :: NNN_PATH_FALLBACK_DOMAIN = 1  ! log T, log rho or Ye outside the model's domain
  integer, parameter, public :: NNN_PATH_FALLBACK_DT = 2      ! dt outside the model's dt range
  integer, parameter, public :: NNN_PATH_FALLBACK_SANITY = 3  ! output not finite, not normalised, negative
  integer, parameter, public :: NNN_PATH_FALLBACK_ENERGY = 4  ! eps_nuc inconsistent with the composition change
  integer, parameter, public :: NNN_PATH_FALLBACK_DYE = 5     ! |Ye - Ye0| above the weak-rate bound
  integer, parameter, public :: NNN_PATH_FALLBACK_ERROR = 6   ! the model's error estimate above max_error
  integer, parameter, public :: NNN_PATH_FALLBACK_MODEL = 7   ! the model failed at run time
  integer, parameter, public :: NNN_PATH_FALLBACK_YE_CHANGE = 8  ! the step's |Ye - Ye0| / Ye0 above max_dye

  public :: c_nnn_default_options, c_nnn_network_load, c_nnn_network_free
  public :: c_nnn_network_n_species, c_nnn_network_isotope, c_nnn_network_index
  public :: c_nnn_network_hash, c_nnn_burn, c_nnn_burn_zones
  public :: c_nnn_burn_with_info, c_nnn_burn_zones_with_info
  public :: c_nnn_emulator_has_libtorch, c_nnn_emulator_default_config, c_nnn_emulator_load
  public :: c_nnn_emulator_free, c_nnn_emulator_check_network, c_nnn_emulator_set_threads
  public :: c_nnn_emulator_set_config, c_nnn_emulator_get_config
  public :: c_nnn_emulator_model
  public :: c_nnn_emulator_burn_with_info, c_nnn_emulator_burn_zones_with_info
  public :: nnn_f_clear_error, nnn_f_set_error_c, nnn_f_last_error
  public :: set_error, to_c_string, from_c_string, last_message, itoa, rtoa

  interface
    subroutine c_nnn_default_options(opt) bind(C, name="nnn_default_options")
      import :: nnn_options_c
      type(nnn_options_c), intent(out) :: opt
    end subroutine

    integer(c_int) function c_nnn_network_load(name_or_path, net) bind(C, name="nnn_network_load")
      import :: c_int, c_char, c_ptr
      character(kind=c_char), intent(in) :: name_or_path(*)
      type(c_ptr), intent(out) :: net
    end function

    subroutine c_nnn_network_free(net) bind(C, name="nnn_network_free")
      import :: c_ptr
      type(c_ptr), value :: net
    end subroutine

    integer(c_int) function c_nnn_network_n_species(net, n_species) bind(C, name="nnn_network_n_species")
      import :: c_int, c_ptr
      type(c_ptr), value :: net
      integer(c_int), intent(out) :: n_species
    end function

    integer(c_int) function c_nnn_network_isotope(net, i, name, len, A, Z) bind(C, name="nnn_network_isotope")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: net
      integer(c_int), value :: i, len
      character(kind=c_char), intent(out) :: name(*)
      integer(c_int), intent(out) :: A, Z
    end function

    integer(c_int) function c_nnn_network_index(net, name, index) bind(C, name="nnn_network_index")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: net
      character(kind=c_char), intent(in) :: name(*)
      integer(c_int), intent(out) :: index
    end function

    integer(c_int) function c_nnn_network_hash(net, hash, len) bind(C, name="nnn_network_hash")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: net
      character(kind=c_char), intent(out) :: hash(*)
      integer(c_int), value :: len
    end function

    integer(c_int) function c_nnn_burn(net, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu, Ye, n_steps) &
        bind(C, name="nnn_burn")
      import :: c_int, c_ptr, c_double, c_long
      type(c_ptr), value :: net
      real(c_double), value :: T, rho
      real(c_double), intent(in) :: X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      ! inout, not out: on failure C leaves some of them unwritten, and the
      ! caller's initial values must survive (intent(out) lets the compiler
      ! drop the stores made before the call).
      real(c_double), intent(inout) :: X_out(*)
      real(c_double), intent(inout) :: eps_nuc, eps_nu, Ye
      integer(c_long), intent(inout) :: n_steps
    end function

    integer(c_int) function c_nnn_burn_zones(net, n_zones, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu, &
        zone_status, n_threads) bind(C, name="nnn_burn_zones")
      import :: c_int, c_ptr, c_double
      type(c_ptr), value :: net
      integer(c_int), value :: n_zones
      real(c_double), intent(in) :: T(*), rho(*), X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(inout) :: X_out(*), eps_nuc(*), eps_nu(*)
      integer(c_int), intent(inout) :: zone_status(*)
      integer(c_int), value :: n_threads
    end function

    integer(c_int) function c_nnn_burn_with_info(net, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu, Ye, &
        info) bind(C, name="nnn_burn_with_info")
      import :: c_int, c_ptr, c_double, nnn_zone_info_c
      type(c_ptr), value :: net
      real(c_double), value :: T, rho
      real(c_double), intent(in) :: X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(inout) :: X_out(*)
      real(c_double), intent(inout) :: eps_nuc, eps_nu, Ye
      type(nnn_zone_info_c), intent(inout) :: info
    end function

    integer(c_int) function c_nnn_burn_zones_with_info(net, n_zones, T, rho, X0, dt, opt, X_out, eps_nuc, &
        eps_nu, zone_status, n_threads, info) bind(C, name="nnn_burn_zones_with_info")
      import :: c_int, c_ptr, c_double, nnn_zone_info_c
      type(c_ptr), value :: net
      integer(c_int), value :: n_zones
      real(c_double), intent(in) :: T(*), rho(*), X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(inout) :: X_out(*), eps_nuc(*), eps_nu(*)
      integer(c_int), intent(inout) :: zone_status(*)
      integer(c_int), value :: n_threads
      type(nnn_zone_info_c), intent(inout) :: info(*)
    end function

    ! ---- include/nnn_emulator.h
    integer(c_int) function c_nnn_emulator_has_libtorch() bind(C, name="nnn_emulator_has_libtorch")
      import :: c_int
    end function

    subroutine c_nnn_emulator_default_config(cfg) bind(C, name="nnn_emulator_default_config")
      import :: nnn_emulator_config_c
      type(nnn_emulator_config_c), intent(out) :: cfg
    end subroutine

    integer(c_int) function c_nnn_emulator_load(net, path, em) bind(C, name="nnn_emulator_load")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: net
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), intent(out) :: em
    end function

    subroutine c_nnn_emulator_free(em) bind(C, name="nnn_emulator_free")
      import :: c_ptr
      type(c_ptr), value :: em
    end subroutine

    integer(c_int) function c_nnn_emulator_check_network(em, net) bind(C, name="nnn_emulator_check_network")
      import :: c_int, c_ptr
      type(c_ptr), value :: em, net
    end function

    integer(c_int) function c_nnn_emulator_set_threads(em, n_threads) bind(C, name="nnn_emulator_set_threads")
      import :: c_int, c_ptr
      type(c_ptr), value :: em
      integer(c_int), value :: n_threads
    end function

    integer(c_int) function c_nnn_emulator_set_config(em, cfg) bind(C, name="nnn_emulator_set_config")
      import :: c_int, c_ptr, nnn_emulator_config_c
      type(c_ptr), value :: em
      type(nnn_emulator_config_c), intent(in) :: cfg
    end function

    integer(c_int) function c_nnn_emulator_get_config(em, cfg) bind(C, name="nnn_emulator_get_config")
      import :: c_int, c_ptr, nnn_emulator_config_c
      type(c_ptr), value :: em
      type(nnn_emulator_config_c), intent(out) :: cfg
    end function

    integer(c_int) function c_nnn_emulator_model(em, logT, logrho, Ye, logdt) bind(C, name="nnn_emulator_model")
      import :: c_int, c_ptr, c_double
      type(c_ptr), value :: em
      real(c_double), intent(out) :: logT(2), logrho(2), Ye(2), logdt(2)
    end function

    integer(c_int) function c_nnn_emulator_burn_with_info(em, T, rho, X0, dt, opt, X_out, eps_nuc, &
        eps_nu, Ye, used_fallback, err, info) bind(C, name="nnn_emulator_burn_with_info")
      import :: c_int, c_ptr, c_double, nnn_zone_info_c
      type(c_ptr), value :: em
      real(c_double), value :: T, rho
      real(c_double), intent(in) :: X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(inout) :: X_out(*)
      real(c_double), intent(inout) :: eps_nuc, eps_nu, Ye
      integer(c_int), intent(inout) :: used_fallback
      real(c_double), intent(inout) :: err
      type(nnn_zone_info_c), intent(inout) :: info
    end function

    integer(c_int) function c_nnn_emulator_burn_zones_with_info(em, n_zones, T, rho, X0, dt, opt, X_out, &
        eps_nuc, eps_nu, used_fallback, zone_status, err, n_threads, info) &
        bind(C, name="nnn_emulator_burn_zones_with_info")
      import :: c_int, c_ptr, c_double, nnn_zone_info_c
      type(c_ptr), value :: em
      integer(c_int), value :: n_zones
      real(c_double), intent(in) :: T(*), rho(*), X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(inout) :: X_out(*), eps_nuc(*), eps_nu(*)
      integer(c_int), intent(inout) :: used_fallback(*), zone_status(*)
      real(c_double), intent(inout) :: err(*)
      integer(c_int), value :: n_threads
      type(nnn_zone_info_c), intent(inout) :: info(*)
    end function

    ! src/fortran/nnn_fortran_error.c: thread-local message of errors found here
    subroutine nnn_f_clear_error() bind(C, name="nnn_f_clear_error")
    end subroutine

    subroutine nnn_f_set_error_c(msg, len) bind(C, name="nnn_f_set_error")
      import :: c_char, c_int
      character(kind=c_char), intent(in) :: msg(*)
      integer(c_int), value :: len
    end subroutine

    type(c_ptr) function nnn_f_last_error() bind(C, name="nnn_f_last_error")
      import :: c_ptr
    end function

    integer(c_size_t) function c_strlen(s) bind(C, name="strlen")
      import :: c_size_t, c_ptr
      type(c_ptr), value :: s
    end function
  end interface

contains

  !> Records msg as this thread's last error and returns status (for `ierr = set_error(...)`).
  integer function set_error(status, msg) result(ierr)
    integer, intent(in) :: status
    character(len=*), intent(in) :: msg
    call nnn_f_set_error_c(msg, len(msg, kind=c_int))
    ierr = status
  end function set_error

  !> NUL-terminated copy of a Fortran string (trailing blanks removed).
  pure function to_c_string(s) result(c)
    character(len=*), intent(in) :: s
    character(kind=c_char, len=len_trim(s) + 1) :: c
    c = trim(s) // c_null_char
  end function to_c_string

  !> Copies the NUL-terminated C string at p into s (blank-padded or truncated).
  subroutine from_c_string(p, s)
    type(c_ptr), intent(in) :: p
    character(len=*), intent(out) :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: n, i
    s = ' '
    if (.not. c_associated(p)) return
    n = int(c_strlen(p))
    if (n == 0) return
    call c_f_pointer(p, chars, [n])
    do i = 1, min(n, len(s))
      s(i:i) = chars(i)
    end do
  end subroutine from_c_string

  !> This thread's last error message (Fortran-side check or engine).
  subroutine last_message(msg)
    character(len=*), intent(out) :: msg
    call from_c_string(nnn_f_last_error(), msg)
  end subroutine last_message

  !> Decimal text of an integer.
  pure function itoa(i) result(s)
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') i
    s = trim(buf)
  end function itoa

  !> Text of a real with all significant digits ('NaN', 'Inf' as gfortran writes them).
  function rtoa(x) result(s)
    real(c_double), intent(in) :: x
    character(len=:), allocatable :: s
    character(len=40) :: buf
    write (buf, '(g0)') x
    s = trim(adjustl(buf))
  end function rtoa

end module nnn_capi
