! nnn_burning: burn one zone or many zones at constant (T, rho) over dt, the
! way a stellar-evolution code's burn step calls its network:
!
!   call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr [, Ye, n_steps, rtol, atol, max_steps, &
!                 emulator, used_fallback, err])
!   call nnn_burn_zones(net, T, rho, X, dt, eps_nuc, eps_nu, ierr [, zone_status, n_threads, rtol, &
!                       atol, max_steps, emulator, used_fallback, err])
!
! Units: T in K, rho in g/cm^3, dt in s, X mass fractions (sum 1 within the
! engine's tolerance, renormalised), eps_nuc in erg/g released over dt
! (neutrino losses subtracted), eps_nu in erg/g/s (weak-rate neutrino loss
! averaged over dt). X is intent(inout): X(dt) on success, unchanged on failure.
!
! Zones: X(n_species, n_zones) is column-major, so X(:, k) is zone k's
! composition, contiguous in memory (= the C ABI's zone-major X[k*n + i]).
!
! Threads: no global state. Call nnn_burn from an OpenMP loop over zones with
! one shared net (each thread gets its own error message), or let
! nnn_burn_zones spread zones over n_threads threads of its own.
!
! Emulator (module nnn_emulation): pass a loaded nnn_emulator_t as the
! keyword argument `emulator=` and the same call uses the trained emulator
! for every zone it can (T/rho/Ye and dt in the model's domain, output
! passing its checks) and the integrator (with rtol, atol, max_steps) for the
! others; `used_fallback` (NNN_PATH_*) says which path each zone took and
! `err` gives the model's error estimate. A code switches
! between the network and its emulator by that one argument; without it
! these calls are the integrator's, as before.
module nnn_burning
  use, intrinsic :: iso_c_binding
  use nnn_capi, only: dp, NNN_OK, NNN_BAD_INPUT, nnn_options_c, c_nnn_default_options, &
      c_nnn_burn_with_info, c_nnn_burn_zones_with_info, nnn_zone_info_c, &
      c_nnn_emulator_burn_with_info, c_nnn_emulator_burn_zones_with_info, &
      c_nnn_emulator_check_network, nnn_f_clear_error, set_error, itoa, rtoa
  use nnn_network, only: nnn_network_t, nnn_network_c_ptr, nnn_n_species
  use nnn_emulation, only: nnn_emulator_t, nnn_emulator_c_ptr, NNN_PATH_NONE
  implicit none
  private

  public :: nnn_burn, nnn_burn_zones, nnn_default_tolerances

contains

  !> Default integrator settings of the engine (rtol 1e-8, atol 1e-12, max_steps 500000).
  subroutine nnn_default_tolerances(rtol, atol, max_steps)
    real(dp), intent(out), optional :: rtol, atol
    integer, intent(out), optional :: max_steps
    type(nnn_options_c) :: o
    call c_nnn_default_options(o)
    if (present(rtol)) rtol = o%rtol
    if (present(atol)) atol = o%atol
    if (present(max_steps)) max_steps = int(min(o%max_steps, int(huge(1), c_long)))
  end subroutine nnn_default_tolerances

  !> Burns one zone at constant (T, rho) from X over dt.
  !>   net      loaded network (shared by all threads)
  !>   T, rho   K, g/cm^3
  !>   X        (n_species) in: X(0); out: X(dt) (unchanged if ierr /= NNN_OK)
  !>   dt       s
  !>   eps_nuc  erg/g released over dt (0 on failure)
  !>   eps_nu   erg/g/s neutrino loss averaged over dt (0 on failure)
  !>   ierr     NNN_OK or a status code; nnn_error_message gives the reason
  !>   Ye       optional out: electron fraction of X(dt)
  !>   n_steps  optional out: integrator steps taken
  !>   rtol, atol, max_steps  optional integrator settings (engine defaults if absent)
  !>   emulator       optional: a loaded emulator of net; the zone is done by
  !>                  it where it is trusted, else by the integrator
  !>   used_fallback  optional out: NNN_PATH_EMULATOR (0) or the reason the
  !>                  integrator was used (NNN_PATH_FALLBACK_*, > 0);
  !>                  NNN_PATH_NONE (-1) without emulator or if the input was
  !>                  rejected. With the emulator, n_steps is 0 for its zones.
  !>   table_clamped  optional out: .true. if the result rests on a weak-rate
  !>                  table read beyond its grid (held at the edge, not
  !>                  extrapolated); .false. for a zone the emulator did
  !>   err            optional out: the emulator's error estimate of this
  !>                  zone (its predicted sum_i (Z_i/A_i)|X_i - X_i,true|); 0
  !>                  for an integrator zone or without emulator
  subroutine nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, Ye, n_steps, rtol, atol, max_steps, &
      emulator, used_fallback, table_clamped, err)
    type(nnn_network_t), intent(in) :: net
    real(dp), intent(in) :: T, rho
    real(dp), intent(inout) :: X(:)
    real(dp), intent(in) :: dt
    real(dp), intent(out) :: eps_nuc, eps_nu
    integer, intent(out) :: ierr
    real(dp), intent(out), optional :: Ye
    integer, intent(out), optional :: n_steps
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    type(nnn_emulator_t), intent(in), optional :: emulator
    integer, intent(out), optional :: used_fallback
    logical, intent(out), optional :: table_clamped
    real(dp), intent(out), optional :: err
    real(c_double) :: x0(nnn_n_species(net)), x1(nnn_n_species(net))
    real(c_double) :: ye_c, err_c
    integer(c_long) :: steps_c
    type(nnn_zone_info_c) :: info
    integer(c_int) :: path_c
    type(nnn_options_c), target :: opt
    type(c_ptr) :: popt

    call nnn_f_clear_error()
    eps_nuc = 0
    eps_nu = 0
    if (present(Ye)) Ye = 0
    if (present(n_steps)) n_steps = 0
    if (present(used_fallback)) used_fallback = NNN_PATH_NONE
    if (present(table_clamped)) table_clamped = .false.
    if (present(err)) err = 0
    ierr = check_net(net)
    if (ierr == NNN_OK .and. present(emulator)) ierr = check_emulator(emulator, net)
    if (ierr /= NNN_OK) return
    if (size(X) /= size(x0)) then
      ierr = set_error(NNN_BAD_INPUT, 'size(X) = ' // itoa(size(X)) // ' differs from n_species = ' // &
          itoa(size(x0)))
      return
    end if
    x0 = X
    popt = c_null_ptr
    if (present(rtol) .or. present(atol) .or. present(max_steps)) then
      call fill_options(opt, rtol, atol, max_steps)
      popt = c_loc(opt)
    end if
    ye_c = 0
    steps_c = 0
    info = nnn_zone_info_c(0, 0, 0.0_c_double)
    if (present(emulator)) then
      path_c = NNN_PATH_NONE
      err_c = 0
      ierr = int(c_nnn_emulator_burn_with_info(nnn_emulator_c_ptr(emulator), T, rho, x0, dt, popt, x1, &
          eps_nuc, eps_nu, ye_c, path_c, err_c, info))
      if (present(used_fallback)) used_fallback = int(path_c)
      if (present(err)) err = err_c
    else
      ierr = int(c_nnn_burn_with_info(nnn_network_c_ptr(net), T, rho, x0, dt, popt, x1, eps_nuc, eps_nu, &
          ye_c, info))
    end if
    steps_c = info%n_steps
    if (present(table_clamped)) table_clamped = info%table_clamped /= 0
    if (present(n_steps)) n_steps = int(steps_c)
    if (ierr == NNN_OK) then
      X = x1
      if (present(Ye)) Ye = ye_c
    else
      eps_nuc = 0
      eps_nu = 0
    end if
  end subroutine nnn_burn

  !> Burns n_zones = size(T) zones over the same dt on n_threads threads.
  !>   T, rho        (n_zones) K, g/cm^3
  !>   X             (n_species, n_zones), column-major: X(:, k) is zone k.
  !>                 in: X(0); out: X(dt) of every zone that succeeded (failed
  !>                 zones keep X(0))
  !>   eps_nuc, eps_nu  (n_zones), 0 for failed zones
  !>   ierr          NNN_OK if every zone succeeded, else the first failing
  !>                 zone's status (the message names the zone, counted from 0)
  !>   zone_status   optional (n_zones) out: each zone's status
  !>   n_threads     optional: threads to use (default 0 = all cores)
  !>   emulator      optional: a loaded emulator of net (zones it does not
  !>                 trust go to the integrator on n_threads threads)
  !>   used_fallback optional (n_zones) out: each zone's path, NNN_PATH_*
  !>                 (NNN_PATH_NONE without emulator or if rejected)
  !>   table_clamped optional (n_zones) out: .true. for a zone whose result
  !>                 rests on a weak-rate table read beyond its grid
  !>                 (.false. for zones the emulator did)
  !>   err           optional (n_zones) out: the emulator's error estimate per
  !>                 zone (0 for integrator zones and without emulator)
  !> Invalid input in any zone fails before any work: then every zone_status
  !> is that status and X is unchanged.
  subroutine nnn_burn_zones(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, zone_status, n_threads, &
      rtol, atol, max_steps, emulator, used_fallback, table_clamped, err)
    type(nnn_network_t), intent(in) :: net
    real(dp), intent(in) :: T(:), rho(:)
    real(dp), intent(inout) :: X(:, :)
    real(dp), intent(in) :: dt
    real(dp), intent(out) :: eps_nuc(:), eps_nu(:)
    integer, intent(out) :: ierr
    integer, intent(out), optional :: zone_status(:)
    integer, intent(in), optional :: n_threads
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    type(nnn_emulator_t), intent(in), optional :: emulator
    integer, intent(out), optional :: used_fallback(:)
    logical, intent(out), optional :: table_clamped(:)
    real(dp), intent(out), optional :: err(:)
    type(nnn_zone_info_c), allocatable :: info(:)
    real(c_double), allocatable :: x1(:, :), err_c(:)
    integer(c_int), allocatable :: st(:), path(:)
    type(nnn_options_c), target :: opt
    type(c_ptr) :: popt
    integer :: nz, nt

    call nnn_f_clear_error()
    nz = size(T)
    eps_nuc = 0
    eps_nu = 0
    if (present(zone_status)) zone_status = NNN_BAD_INPUT
    if (present(used_fallback)) used_fallback = NNN_PATH_NONE
    if (present(table_clamped)) table_clamped = .false.
    if (present(err)) err = 0
    ierr = check_net(net)
    if (ierr == NNN_OK .and. present(emulator)) ierr = check_emulator(emulator, net)
    if (ierr /= NNN_OK) return
    if (size(rho) /= nz) then
      ierr = size_error('rho', size(rho), 'size(T)', nz)
    else if (size(X, 2) /= nz) then
      ierr = size_error('X, 2', size(X, 2), 'size(T)', nz)
    else if (size(X, 1) /= nnn_n_species(net)) then
      ierr = size_error('X, 1', size(X, 1), 'n_species', nnn_n_species(net))
    else if (size(eps_nuc) /= nz) then
      ierr = size_error('eps_nuc', size(eps_nuc), 'size(T)', nz)
    else if (size(eps_nu) /= nz) then
      ierr = size_error('eps_nu', size(eps_nu), 'size(T)', nz)
    end if
    if (ierr == NNN_OK .and. present(zone_status)) then
      if (size(zone_status) /= nz) ierr = size_error('zone_status', size(zone_status), 'size(T)', nz)
    end if
    if (ierr == NNN_OK .and. present(used_fallback)) then
      if (size(used_fallback) /= nz) ierr = size_error('used_fallback', size(used_fallback), 'size(T)', nz)
    end if
    if (ierr == NNN_OK .and. present(table_clamped)) then
      if (size(table_clamped) /= nz) ierr = size_error('table_clamped', size(table_clamped), 'size(T)', nz)
    end if
    if (ierr == NNN_OK .and. present(err)) then
      if (size(err) /= nz) ierr = size_error('err', size(err), 'size(T)', nz)
    end if
    if (ierr /= NNN_OK) return
    if (nz == 0) return
    nt = 0
    if (present(n_threads)) nt = n_threads
    if (nt < 0) then
      ierr = set_error(NNN_BAD_INPUT, 'n_threads = ' // itoa(nt) // ' must be >= 0 (0: all cores)')
      return
    end if
    popt = c_null_ptr
    if (present(rtol) .or. present(atol) .or. present(max_steps)) then
      call fill_options(opt, rtol, atol, max_steps)
      popt = c_loc(opt)
    end if
    allocate (x1(size(X, 1), nz), st(nz))
    ! Whatever the C call leaves unwritten keeps these values: X(0) (a
    ! rejected call writes no X_out), status -1 (not reached), path NONE.
    x1 = X
    st = -1
    allocate (info(nz))
    info = nnn_zone_info_c(0, 0, 0.0_c_double)
    if (present(emulator)) then
      allocate (path(nz), err_c(nz))
      path = NNN_PATH_NONE
      err_c = 0
      ierr = int(c_nnn_emulator_burn_zones_with_info(nnn_emulator_c_ptr(emulator), int(nz, c_int), T, rho, &
          X, dt, popt, x1, eps_nuc, eps_nu, path, st, err_c, int(nt, c_int), info))
    else
      ierr = int(c_nnn_burn_zones_with_info(nnn_network_c_ptr(net), int(nz, c_int), T, rho, X, dt, popt, &
          x1, eps_nuc, eps_nu, st, int(nt, c_int), info))
    end if
    if (present(table_clamped)) table_clamped = info%table_clamped /= 0
    if (any(st < 0)) then
      ! rejected before any work (invalid input), statuses unwritten; eps
      ! stay 0 and X(0) in x1 (libnnn's nnn_burn_zones fills them itself)
      if (ierr == NNN_OK) ierr = NNN_BAD_INPUT
      st = int(ierr, c_int)
    end if
    X = x1  ! failed zones were given X(0) back by the engine; a rejected call leaves x1 = X(0)
    if (present(zone_status)) zone_status = int(st)
    if (present(used_fallback) .and. present(emulator)) used_fallback = int(path)
    if (present(err) .and. present(emulator)) err = err_c
  end subroutine nnn_burn_zones

  integer function check_net(net) result(ierr)
    type(nnn_network_t), intent(in) :: net
    ierr = NNN_OK
    if (.not. c_associated(nnn_network_c_ptr(net))) &
        ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
  end function check_net

  ! The emulator must be loaded, and loaded for this network (same file hash).
  integer function check_emulator(emulator, net) result(ierr)
    type(nnn_emulator_t), intent(in) :: emulator
    type(nnn_network_t), intent(in) :: net
    if (.not. c_associated(nnn_emulator_c_ptr(emulator))) then
      ierr = set_error(NNN_BAD_INPUT, 'emulator is not loaded (call nnn_load_emulator first)')
    else
      ierr = int(c_nnn_emulator_check_network(nnn_emulator_c_ptr(emulator), nnn_network_c_ptr(net)))
    end if
  end function check_emulator

  integer function size_error(field, n, what, expected) result(ierr)
    character(len=*), intent(in) :: field, what
    integer, intent(in) :: n, expected
    ierr = set_error(NNN_BAD_INPUT, 'size(' // field // ') = ' // itoa(n) // ' differs from ' // what // &
        ' = ' // itoa(expected))
  end function size_error

  subroutine fill_options(opt, rtol, atol, max_steps)
    type(nnn_options_c), intent(out) :: opt
    real(dp), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_steps
    call c_nnn_default_options(opt)
    if (present(rtol)) opt%rtol = rtol
    if (present(atol)) opt%atol = atol
    if (present(max_steps)) opt%max_steps = int(max_steps, c_long)
  end subroutine fill_options

end module nnn_burning
