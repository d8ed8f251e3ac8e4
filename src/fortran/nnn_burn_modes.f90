! nnn_burn_modes: the burn modes of docs/burn_modes.md, shaped like MESA's
! one-zone burner (burn along a prescribed T(t), rho(t)) and its operator-
! split step (self-heating at constant density), with ierr:
!
!   call nnn_burn_history(net, time, temp, rho, X, dt, eps_nuc, eps_nu, ierr [, T_end, Ye, n_steps, &
!                         rtol, atol, max_steps, table_clamped])
!   call nnn_burn_self_heating(net, T, rho, X, dt, eps_nuc, eps_nu, ierr [, thermal_neutrinos, &
!                              eps_nu_thermal, n_steps, rtol, atol, max_steps, table_clamped])
!   call nnn_burn_zones_self_heating(net, T, rho, X, dt, eps_nuc, eps_nu, ierr [, zone_status, &
!                                    thermal_neutrinos, n_threads, rtol, atol, max_steps, table_clamped])
!
! table_clamped (optional out, per zone): .true. where the result rests on a
! weak-rate table read beyond its grid edge (held at the edge), as in nnn_burn.
!
! History: samples time(k) s (strictly increasing), temp(k) K, rho(k) g/cm^3,
! linear in log T and log rho between samples, covering [0, dt]; the burn
! stops at every sample inside it. Self-heating: rho fixed, T (intent inout)
! goes from T(0) to T(dt) through the energy released and the EOS; thermal
! neutrino losses only with thermal_neutrinos = .true. (eps_nu stays the
! weak-rate loss). X is intent(inout) as in nnn_burn: X(dt) on success,
! unchanged on failure; T likewise. A T that leaves the rates' range gives
! ierr = NNN_OUT_OF_DOMAIN. No global state: call from OpenMP loops.
module nnn_burn_modes
  use, intrinsic :: iso_c_binding
  use nnn_capi, only: dp, NNN_OK, NNN_BAD_INPUT, NNN_OUT_OF_DOMAIN, nnn_options_c, nnn_zone_info_c, &
      c_nnn_default_options, nnn_f_clear_error, set_error, itoa
  use nnn_network, only: nnn_network_t, nnn_network_c_ptr, nnn_n_species
  implicit none
  private

  public :: nnn_burn_history, nnn_burn_self_heating, nnn_burn_zones_self_heating, NNN_OUT_OF_DOMAIN

  interface
    integer(c_int) function c_nnn_burn_history(net, n_samples, time, temp, rho, X0, dt, opt, X_out, &
        eps_nuc, eps_nu, T_end, Ye, info) bind(C, name="nnn_burn_history_with_info")
      import :: c_ptr, c_int, c_double, nnn_zone_info_c
      type(c_ptr), value :: net
      integer(c_int), value :: n_samples
      real(c_double), intent(in) :: time(*), temp(*), rho(*), X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      real(c_double), intent(out) :: X_out(*), eps_nuc, eps_nu, T_end, Ye
      type(nnn_zone_info_c), intent(inout) :: info
    end function
    integer(c_int) function c_nnn_burn_self_heating(net, T0, rho, X0, dt, opt, thermal, X_out, T_end, &
        eps_nuc, eps_nu, eps_nu_thermal, info) bind(C, name="nnn_burn_self_heating_with_info")
      import :: c_ptr, c_int, c_double, nnn_zone_info_c
      type(c_ptr), value :: net
      real(c_double), value :: T0, rho
      real(c_double), intent(in) :: X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      integer(c_int), value :: thermal
      real(c_double), intent(out) :: X_out(*), T_end, eps_nuc, eps_nu, eps_nu_thermal
      type(nnn_zone_info_c), intent(inout) :: info
    end function
    integer(c_int) function c_nnn_burn_zones_self_heating(net, n_zones, T0, rho, X0, dt, opt, thermal, &
        X_out, T_end, eps_nuc, eps_nu, zone_status, n_threads, info) &
        bind(C, name="nnn_burn_zones_self_heating_with_info")
      import :: c_ptr, c_int, c_double, nnn_zone_info_c
      type(c_ptr), value :: net
      integer(c_int), value :: n_zones
      real(c_double), intent(in) :: T0(*), rho(*), X0(*)
      real(c_double), value :: dt
      type(c_ptr), value :: opt
      integer(c_int), value :: thermal
      real(c_double), intent(out) :: X_out(*), T_end(*), eps_nuc(*), eps_nu(*)
      integer(c_int), intent(out) :: zone_status(*)
      integer(c_int), value :: n_threads
      type(nnn_zone_info_c), intent(inout) :: info(*)
    end function
  end interface

contains

  !> Burns one zone along the history (time, temp, rho) from X over dt.
  !>   time, temp, rho  (n_samples) s, K, g/cm^3
  !>   X          (n_species) in: X(0); out: X(dt) (unchanged if ierr /= NNN_OK)
  !>   eps_nuc    erg/g released over dt; eps_nu erg/g/s weak-rate loss averaged over dt
  !>   T_end      optional out: T(dt) of the history
  subroutine nnn_burn_history(net, time, temp, rho, X, dt, eps_nuc, eps_nu, ierr, T_end, Ye, n_steps, &
      rtol, atol, max_steps, table_clamped)
    type(nnn_network_t), intent(in) :: net
    real(dp), intent(in) :: time(:), temp(:), rho(:)
    real(dp), intent(inout) :: X(:)
    real(dp), intent(in) :: dt
    real(dp), intent(out) :: eps_nuc, eps_nu
    integer, intent(out) :: ierr
    real(dp), intent(out), optional :: T_end, Ye
    integer, intent(out), optional :: n_steps
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    logical, intent(out), optional :: table_clamped
    real(c_double) :: x0(size(X)), x1(size(X)), T1, ye_c
    type(nnn_zone_info_c) :: info
    type(nnn_options_c), target :: opt

    call nnn_f_clear_error()
    eps_nuc = 0
    eps_nu = 0
    if (present(T_end)) T_end = 0
    if (present(Ye)) Ye = 0
    if (present(n_steps)) n_steps = 0
    if (present(table_clamped)) table_clamped = .false.
    ierr = check_sizes(net, size(X))
    if (ierr == NNN_OK .and. (size(temp) /= size(time) .or. size(rho) /= size(time))) &
        ierr = set_error(NNN_BAD_INPUT, 'history: size(time) = ' // itoa(size(time)) // ', size(temp) = ' // &
        itoa(size(temp)) // ', size(rho) = ' // itoa(size(rho)) // ' differ')
    if (ierr /= NNN_OK) return
    call fill_options(opt, rtol, atol, max_steps)
    x0 = X
    info = nnn_zone_info_c(0, 0, 0.0_c_double)
    ierr = int(c_nnn_burn_history(nnn_network_c_ptr(net), int(size(time), c_int), time, temp, rho, x0, dt, &
        c_loc(opt), x1, eps_nuc, eps_nu, T1, ye_c, info))
    if (present(n_steps)) n_steps = int(min(info%n_steps, int(huge(1), c_long)))
    if (present(table_clamped)) table_clamped = info%table_clamped /= 0
    if (ierr /= NNN_OK) then
      eps_nuc = 0
      eps_nu = 0
      return
    end if
    X = x1
    if (present(T_end)) T_end = T1
    if (present(Ye)) Ye = ye_c
  end subroutine nnn_burn_history

  !> Self-heating burn of one zone at constant rho: T (inout) from T(0) to T(dt).
  !>   thermal_neutrinos  optional: add thermal neutrino cooling (default .false.)
  !>   eps_nu_thermal     optional out: their mean loss over dt (erg/g/s)
  subroutine nnn_burn_self_heating(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, thermal_neutrinos, &
      eps_nu_thermal, n_steps, rtol, atol, max_steps, table_clamped)
    type(nnn_network_t), intent(in) :: net
    real(dp), intent(inout) :: T
    real(dp), intent(in) :: rho
    real(dp), intent(inout) :: X(:)
    real(dp), intent(in) :: dt
    real(dp), intent(out) :: eps_nuc, eps_nu
    integer, intent(out) :: ierr
    logical, intent(in), optional :: thermal_neutrinos
    real(dp), intent(out), optional :: eps_nu_thermal
    integer, intent(out), optional :: n_steps
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    logical, intent(out), optional :: table_clamped
    real(c_double) :: x0(size(X)), x1(size(X)), T1, eth
    type(nnn_zone_info_c) :: info
    type(nnn_options_c), target :: opt

    call nnn_f_clear_error()
    eps_nuc = 0
    eps_nu = 0
    if (present(eps_nu_thermal)) eps_nu_thermal = 0
    if (present(n_steps)) n_steps = 0
    if (present(table_clamped)) table_clamped = .false.
    ierr = check_sizes(net, size(X))
    if (ierr /= NNN_OK) return
    call fill_options(opt, rtol, atol, max_steps)
    x0 = X
    eth = 0
    info = nnn_zone_info_c(0, 0, 0.0_c_double)
    ierr = int(c_nnn_burn_self_heating(nnn_network_c_ptr(net), T, rho, x0, dt, c_loc(opt), &
        thermal_flag(thermal_neutrinos), x1, T1, eps_nuc, eps_nu, eth, info))
    if (present(n_steps)) n_steps = int(min(info%n_steps, int(huge(1), c_long)))
    if (present(table_clamped)) table_clamped = info%table_clamped /= 0
    if (ierr /= NNN_OK) then
      eps_nuc = 0
      eps_nu = 0
      return
    end if
    X = x1
    T = T1
    if (present(eps_nu_thermal)) eps_nu_thermal = eth
  end subroutine nnn_burn_self_heating

  !> Self-heating burns of n_zones zones: T(n_zones) and X(n_species, n_zones)
  !> inout, rho(n_zones); spread over n_threads threads (0: all cores).
  !> zone_status (optional) gets each zone's status; ierr the first failure's.
  subroutine nnn_burn_zones_self_heating(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, zone_status, &
      thermal_neutrinos, n_threads, rtol, atol, max_steps, table_clamped)
    type(nnn_network_t), intent(in) :: net
    real(dp), intent(inout) :: T(:)
    real(dp), intent(in) :: rho(:)
    real(dp), intent(inout) :: X(:, :)
    real(dp), intent(in) :: dt
    real(dp), intent(out) :: eps_nuc(:), eps_nu(:)
    integer, intent(out) :: ierr
    integer, intent(out), optional :: zone_status(:)
    logical, intent(in), optional :: thermal_neutrinos
    integer, intent(in), optional :: n_threads
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    logical, intent(out), optional :: table_clamped(:)
    real(c_double) :: x1(size(X, 1), size(X, 2)), T1(size(T))
    integer(c_int) :: st(max(1, size(T))), nt
    type(nnn_zone_info_c) :: info(max(1, size(T)))
    type(nnn_options_c), target :: opt
    integer :: nz

    call nnn_f_clear_error()
    nz = size(T)
    eps_nuc = 0
    eps_nu = 0
    ierr = check_sizes(net, size(X, 1))
    if (ierr == NNN_OK .and. (size(rho) /= nz .or. size(X, 2) /= nz .or. size(eps_nuc) /= nz .or. &
        size(eps_nu) /= nz)) ierr = set_error(NNN_BAD_INPUT, 'zones: size(T) = ' // itoa(nz) // &
        ' and the sizes of rho, X(:, k), eps_nuc, eps_nu differ')
    if (ierr == NNN_OK .and. present(zone_status)) then
      if (size(zone_status) /= nz) ierr = set_error(NNN_BAD_INPUT, 'size(zone_status) = ' // &
          itoa(size(zone_status)) // ' differs from n_zones = ' // itoa(nz))
    end if
    if (ierr == NNN_OK .and. present(table_clamped)) then
      if (size(table_clamped) /= nz) ierr = set_error(NNN_BAD_INPUT, 'size(table_clamped) = ' // &
          itoa(size(table_clamped)) // ' differs from n_zones = ' // itoa(nz))
    end if
    if (present(table_clamped)) table_clamped = .false.
    if (ierr /= NNN_OK) return
    call fill_options(opt, rtol, atol, max_steps)
    nt = 0
    if (present(n_threads)) nt = int(n_threads, c_int)
    st = NNN_OK
    ierr = int(c_nnn_burn_zones_self_heating(nnn_network_c_ptr(net), int(nz, c_int), T, rho, X, dt, &
        c_loc(opt), thermal_flag(thermal_neutrinos), x1, T1, eps_nuc, eps_nu, st, nt, info))
    if (present(zone_status)) zone_status = int(st(1:nz))
    if (present(table_clamped)) table_clamped = info(1:nz)%table_clamped /= 0
    if (ierr == NNN_BAD_INPUT .and. all(st(1:nz) == NNN_BAD_INPUT)) return  ! rejected before any work
    X = x1   ! failed zones come back unchanged
    T = T1
  end subroutine nnn_burn_zones_self_heating

  integer function check_sizes(net, n_x) result(ierr)
    type(nnn_network_t), intent(in) :: net
    integer, intent(in) :: n_x
    ierr = NNN_OK
    if (.not. c_associated(nnn_network_c_ptr(net))) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded')
    else if (n_x /= nnn_n_species(net)) then
      ierr = set_error(NNN_BAD_INPUT, 'size(X) = ' // itoa(n_x) // ' differs from n_species = ' // &
          itoa(nnn_n_species(net)))
    end if
  end function check_sizes

  subroutine fill_options(opt, rtol, atol, max_steps)
    type(nnn_options_c), intent(out) :: opt
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    call c_nnn_default_options(opt)
    if (present(rtol)) opt%rtol = rtol
    if (present(atol)) opt%atol = atol
    if (present(max_steps)) opt%max_steps = int(max_steps, c_long)
  end subroutine fill_options

  integer(c_int) function thermal_flag(thermal_neutrinos) result(f)
    logical, intent(in), optional :: thermal_neutrinos
    f = 0
    if (present(thermal_neutrinos)) then
      if (thermal_neutrinos) f = 1
    end if
  end function thermal_flag

end module nnn_burn_modes
