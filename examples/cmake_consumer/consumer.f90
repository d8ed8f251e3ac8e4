! Smallest Fortran user of an installed nnn: burn one zone of pure he4.
program consumer
  use nnn
  implicit none
  type(nnn_network_t) :: net
  character(len=512) :: network
  character(len=256) :: msg
  real(dp), allocatable :: X(:)
  real(dp) :: eps_nuc, eps_nu
  integer :: ierr, ihe

  network = 'approx21_cr60_plus_co56'
  if (command_argument_count() >= 1) call get_command_argument(1, network)
  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) then
    call nnn_error_message(msg)
    print '(a,i0,a)', 'load: ierr = ', ierr, ': '//trim(msg)
    stop 1
  end if
  allocate (X(nnn_n_species(net)))
  call nnn_isotope_index(net, 'he4', ihe, ierr)
  X = 0
  X(ihe) = 1
  call nnn_burn(net, 3e9_dp, 1e7_dp, X, 1e-3_dp, eps_nuc, eps_nu, ierr)
  print '(a,i0,a,es25.17e3,a,es25.17e3,a,es25.17e3)', 'consumer_f ierr=', ierr, ' eps_nuc=', eps_nuc, &
      ' eps_nu=', eps_nu, ' X_he4=', X(ihe)
  call nnn_free_network(net)
  if (ierr /= NNN_OK) stop 1
end program consumer
